import { randomUUID } from 'node:crypto';
import { ExactlyError } from '@exactly/errors';
import {
  createIdempotencyEngine,
  type IdempotencyEngine,
  type IdempotencyProfile,
  idempotencyPlugin,
} from '@exactly/idempotency';
import { type Logger, registerOpsRoutes } from '@exactly/observability';
import { createOutboxNotifier } from '@exactly/outbox';
import { newId as defaultNewId, type Orm, runSql } from '@exactly/persistence';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';
import type { AcceptedMessages } from './acceptMessages.js';
import { registerAdmissionLimit } from './admissionLimit.js';
import { registerBodyBudget } from './bodyBudget.js';
import { type IngestConfig, profileFromConfig } from './config.js';
import { createApiKeyAuthenticator, type Principal } from './createApiKeyAuthenticator.js';
import { createIngestMetrics } from './createIngestMetrics.js';
import { createKeyWaitMetrics } from './createKeyWaitMetrics.js';
import { idempotencyKeysRoutes } from './idempotencyKeysRoutes.js';
import { messagesRoutes } from './messagesRoutes.js';
import { openApiDocument } from './openApiDocument.js';
import { acceptedMessagesStored } from './readMessages.js';
import { registerJsonBodyParser } from './registerJsonBodyParser.js';
import { notFound, registerProblemDetails, renderFrameworkError } from './registerProblemDetails.js';
import { registerRequestSpans } from './requestSpans.js';
import { scheduledMessagesRoutes } from './scheduledMessagesRoutes.js';
import { seedRoutes } from './seedRoutes.js';
import { templatesRoutes } from './templatesRoutes.js';
import { registerTenantQuota } from './tenantQuota.js';
import { trackIdempotentRoutes } from './trackIdempotentRoutes.js';
import { webhookEndpointsRoutes } from './webhookEndpointsRoutes.js';
import {
  acceptedMessagesStatements,
  type EffectsWriter,
  writeAcceptedMessages,
} from './writeAcceptedMessages.js';

export interface ServerDependencies {
  config: IngestConfig;
  orm: Orm;
  /** The pool the idempotency key look-ups run on (default `orm`); see `openLookupOrm`. */
  lookupOrm?: Orm;
  /** The pool the write batches run on (default `orm`), opened with `writeSessionSettings`. */
  writeOrm?: Orm;
  logger: Logger;
  registry: Registry;
  newId?: (prefix: string) => string;
  /** The profile; by default the configured one with its overrides. */
  profile?: IdempotencyProfile;
  /** Wraps the writer of accepted messages (fault tests pause or break it mid-transaction). */
  wrapWriter?: (writer: EffectsWriter) => EffectsWriter;
}

export interface IngestServer {
  app: FastifyInstance;
  /** The listener of /healthz, /readyz and /metrics when OPS_PORT is set. */
  ops: FastifyInstance | undefined;
  /** Listens on HOST:PORT (and OPS_HOST:OPS_PORT); returns the API's address. */
  listen(address?: { host: string; port: number }): Promise<string>;
  /** The ops listener's address once listening, when OPS_PORT is set. */
  readonly opsUrl: string | undefined;
  engine: IdempotencyEngine<AcceptedMessages>;
  /** Stops taking requests, finishes those in flight and the queued writes (the ORM stays open). */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** A caller on this host that no proxy forwarded (a local proxy would make anyone look local). */
function isLocalCaller(request: FastifyRequest): boolean {
  const { headers } = request;
  return (
    loopback.has(request.socket.remoteAddress ?? '') &&
    headers['x-forwarded-for'] === undefined &&
    headers.forwarded === undefined &&
    headers['x-real-ip'] === undefined
  );
}

const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

/** Builds the ingest API from explicit dependencies; `main.ts` reads the configuration and listens. */
export async function createServer(deps: ServerDependencies): Promise<IngestServer> {
  const { config, orm, logger, registry } = deps;
  const newId = deps.newId ?? defaultNewId;
  const profile = deps.profile ?? profileFromConfig(config);
  const metrics = createIngestMetrics(registry);
  const notifier = createOutboxNotifier(orm, logger);
  const topics = { commands: config.COMMANDS_TOPIC, messageEvents: config.MESSAGE_EVENTS_TOPIC };
  const writer = writeAcceptedMessages(topics);
  const engine = createIdempotencyEngine<AcceptedMessages>({
    orm,
    lookupOrm: deps.lookupOrm,
    writeOrm: deps.writeOrm,
    profile,
    writeEffects: deps.wrapWriter ? deps.wrapWriter(writer) : writer,
    // A wrapped writer (a fault test's) must run, so its batches take the transaction's way.
    effectStatements: deps.wrapWriter ? undefined : acceptedMessagesStatements(topics),
    findWrittenEffects: acceptedMessagesStored,
    afterCommit: notifier.notify,
    leaseMs: config.IDEMPOTENCY_LEASE,
    waitTimeoutMs: config.IDEMPOTENCY_WAIT_TIMEOUT,
    maxBatchSize: config.WRITE_BATCH_MAX,
    writeConcurrency: config.WRITE_CONCURRENCY,
    writeLingerMs: config.WRITE_LINGER,
    replayCacheSize: config.IDEMPOTENCY_REPLAY_CACHE,
    replayCacheBytes: config.IDEMPOTENCY_REPLAY_CACHE_BYTES,
    onBatch: metrics.observeBatch,
  });
  metrics.watchReplayCache(engine.replayCacheSize);
  const authenticator = createApiKeyAuthenticator({ orm, cacheTtlMs: config.AUTH_CACHE_TTL });

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One log line per request, written by the metrics hook with its status and duration.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT,
    ...(config.TRUST_PROXY === undefined ? {} : { trustProxy: config.TRUST_PROXY }),
    // Slow clients (slowloris) are cut off: Node answers 408 and closes the socket.
    requestTimeout: config.REQUEST_TIMEOUT,
    connectionTimeout: config.CONNECTION_TIMEOUT,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT,
    http: {
      headersTimeout: config.HEADERS_TIMEOUT,
      // Node checks the two timeouts above this often (30 s by default, longer than they are).
      connectionsCheckingInterval: Math.min(1_000, config.HEADERS_TIMEOUT),
    },
    // Keys up to 256 characters arrive URL-encoded in /v1/idempotency-keys/{key}.
    routerOptions: { maxParamLength: 1_024 },
    return503OnClosing: true,
    frameworkErrors: renderFrameworkError,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      // Request ids need no time order: node's pooled randomUUID is much cheaper than a UUIDv7.
      return typeof given === 'string' && requestIdPattern.test(given)
        ? given
        : `req_${randomUUID().replaceAll('-', '')}`;
    },
  });
  app.decorateRequest('principal', undefined);
  registerRequestSpans(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // An unknown route is answered before its body is read: nobody waits for a body it will never use.
    if (request.is404) throw notFound(request);
  });
  registerJsonBodyParser(app);
  // A body over the limit is read and dropped up to twice the limit, so its client gets the 413.
  registerProblemDetails(app, { drainLimit: 2 * config.BODY_LIMIT });
  metrics.instrument(app);
  registerAdmissionLimit(app, { limit: config.ADMISSION_LIMIT, onShed: metrics.countShed });
  const opsRoutes = {
    registry,
    // What is wrong goes to the log; callers learn only that the database does not answer.
    readiness: async () => {
      try {
        await runSql(orm.em.fork(), 'SELECT 1');
        return undefined;
      } catch (error) {
        logger.warn({ err: error }, 'not ready: the database does not answer');
        return 'database unavailable';
      }
    },
  };
  const ops =
    config.OPS_PORT === undefined
      ? undefined
      : Fastify({ loggerInstance: logger as FastifyBaseLogger, requestTimeout: config.REQUEST_TIMEOUT });
  if (ops) registerOpsRoutes(ops, opsRoutes);
  else
    await app.register(async (local) => {
      local.addHook('onRequest', async (request) => {
        if (!isLocalCaller(request)) throw notFound(request);
      });
      registerOpsRoutes(local, opsRoutes);
    });
  const document = JSON.stringify(openApiDocument(profile));
  app.get('/openapi.json', { logLevel: 'warn' }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(document),
  );

  await app.register(idempotencyPlugin, {
    profile,
    onOutcome: (outcome, request) => metrics.countOutcome(outcome, request.routeOptions.url ?? 'unmatched'),
  });
  const principalOf = (request: FastifyRequest): Principal => {
    if (request.principal === undefined) throw new ExactlyError('unauthenticated', 'not authenticated');
    return request.principal;
  };
  const idempotentEndpoints = trackIdempotentRoutes(app);
  await app.register(async (v1) => {
    v1.addHook('onRequest', async (request) => {
      request.principal = await authenticator.authenticate(request.headers.authorization);
    });
    registerTenantQuota(v1, {
      accountRate: config.ACCOUNT_RATE_LIMIT,
      apiKeyRate: config.API_KEY_RATE_LIMIT,
      windowMs: config.RATE_LIMIT_WINDOW,
      accountConcurrency: config.ACCOUNT_CONCURRENCY,
      apiKeyConcurrency: config.API_KEY_CONCURRENCY,
      principalOf,
      onLimited: metrics.countLimited,
    });
    const bodyBytesInFlight = registerBodyBudget(v1, {
      totalBytes: config.BODY_BYTES_IN_FLIGHT,
      accountBytes: config.ACCOUNT_BODY_BYTES_IN_FLIGHT,
      bodyLimit: config.BODY_LIMIT,
      principalOf,
      onShed: metrics.countShed,
      onLimited: metrics.countLimited,
    });
    if (bodyBytesInFlight) metrics.watchBodyBytes(bodyBytesInFlight);
    await v1.register(messagesRoutes, {
      orm,
      engine,
      newId,
      principalOf,
      maxRecordBytes: config.RELAY_TOPIC_MAX_MESSAGE_BYTES,
    });
    await v1.register(idempotencyKeysRoutes, {
      engine,
      principalOf,
      orm,
      maxWaitMs: config.KEY_WAIT_MAX,
      waits: createKeyWaitMetrics(registry),
      endpoints: idempotentEndpoints,
    });
    await v1.register(seedRoutes, {
      orm,
      engine,
      newId,
      principalOf,
      maxRecordBytes: config.RELAY_TOPIC_MAX_MESSAGE_BYTES,
      callerId: config.TRUEDY_CALLER_ID,
    });
    await v1.register(templatesRoutes, {
      orm,
      profile,
      newId,
      principalOf,
      leaseMs: config.IDEMPOTENCY_LEASE,
      waitTimeoutMs: config.IDEMPOTENCY_WAIT_TIMEOUT,
    });
    await v1.register(webhookEndpointsRoutes, {
      orm,
      profile,
      newId,
      principalOf,
      allowPrivateAddresses: config.WEBHOOKS_ALLOW_PRIVATE_URLS,
      secretOverlapMs: config.WEBHOOK_SECRET_OVERLAP,
      leaseMs: config.IDEMPOTENCY_LEASE,
      waitTimeoutMs: config.IDEMPOTENCY_WAIT_TIMEOUT,
    });
    await v1.register(scheduledMessagesRoutes, {
      orm,
      profile,
      principalOf,
      eventsTopic: config.MESSAGE_EVENTS_TOPIC,
      leaseMs: config.IDEMPOTENCY_LEASE,
      waitTimeoutMs: config.IDEMPOTENCY_WAIT_TIMEOUT,
      afterCommit: notifier.notify,
    });
  });

  engine.startCleanup({
    intervalMs: config.IDEMPOTENCY_CLEANUP_INTERVAL,
    batchSize: config.IDEMPOTENCY_CLEANUP_BATCH,
    maxBatches: 100,
    onDeleted: metrics.countExpiredDeleted,
    onError: (error) =>
      logger.warn({ err: error }, 'deleting expired idempotency records failed; next round retries'),
  });

  let opsUrl: string | undefined;
  return {
    app,
    ops,
    engine,
    get opsUrl() {
      return opsUrl;
    },
    async listen(address = { host: config.HOST, port: config.PORT }) {
      const url = await app.listen(address);
      if (ops) opsUrl = await ops.listen({ host: config.OPS_HOST, port: config.OPS_PORT ?? 0 });
      return url;
    },
    async close() {
      await ops?.close();
      await app.close();
      await engine.close();
      await notifier.close();
    },
  };
}
