import { validated } from '@exactly/config';
import type { DashboardSnapshot } from '@exactly/dashboard';
import { dashboardAssetsDir } from '@exactly/dashboard';
import { ExactlyError, toProblemDetails } from '@exactly/errors';
import { createKafka } from '@exactly/messaging';
import type { Logger } from '@exactly/observability';
import { listDeadLetters, redriveDeadLetters } from '@exactly/operations';
import type { Orm } from '@exactly/persistence';
import { listAllWebhookEndpoints } from '@exactly/webhooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { ConsoleConfig } from '../config.js';
import { createDashboardSampler, type DashboardSampler } from './createDashboardSampler.js';
import { inspectMessage, searchMessages } from './inspectMessages.js';
import { type DashboardAsset, loadDashboardAssets } from './loadDashboardAssets.js';
import { createOperatorSessions, type OperatorSessions, sessionCookie } from './operatorSessions.js';
import { isStatementTimeout, readOnly } from './readOnly.js';
import { createSignInThrottle } from './signInThrottle.js';

export interface DashboardOptions {
  config: ConsoleConfig;
  orm: Orm;
  logger: Logger;
  registry: Registry;
  /** Where the built page is (default: the `@exactly/dashboard` package's `dist/`). */
  assetsDir?: string;
}

export interface Dashboard {
  close(): Promise<void>;
}

const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};
const offExplanation =
  'The operator dashboard is off: start the console with OPERATOR_TOKEN set (at least 16 characters, ' +
  'never an API key) to turn it on. See services/console/README.md.';

const Login = z.strictObject({ token: z.string().min(1).max(1_024) });
const SearchQuery = z.strictObject({ q: z.string().trim().min(1).max(600) });
const DeadLetterQuery = z.strictObject({
  before: z.coerce.number().int().positive().optional(),
  code: z.string().min(1).max(100).optional(),
  pending: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const IdParam = z.strictObject({ id: z.coerce.number().int().positive() });

/**
 * The operator dashboard under `/dashboard`: the built page, and its JSON and server-sent-event
 * routes behind the operator token. Without OPERATOR_TOKEN every `/dashboard` path answers 404
 * with the explanation.
 */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions): Promise<Dashboard> {
  const { config, orm } = options;
  const token = config.OPERATOR_TOKEN;
  if (token === undefined) {
    const off = async (request: FastifyRequest, reply: FastifyReply) => {
      const error = new ExactlyError('not_found', offExplanation);
      if (wantsHtml(request)) {
        return reply.code(404).headers(securityHeaders).type('text/html; charset=utf-8').send(offPage);
      }
      return reply
        .code(404)
        .type('application/problem+json')
        .send(JSON.stringify(toProblemDetails(error, request.url)));
    };
    // In onRequest, so a POST's body is never read (or waited for) only to answer 404.
    const route = { onRequest: off, handler: async () => undefined };
    app.all('/dashboard', route);
    app.all('/dashboard/*', route);
    return { close: async () => {} };
  }

  const sessions = createOperatorSessions({ token, ttlMs: config.DASHBOARD_SESSION_TTL });
  const throttle = createSignInThrottle({
    maxFailures: config.DASHBOARD_SIGN_IN_ATTEMPTS,
    windowMs: config.DASHBOARD_SIGN_IN_WINDOW,
  });
  const assets = await loadDashboardAssets(options.assetsDir ?? dashboardAssetsDir);
  if (assets === undefined)
    options.logger.warn('the dashboard is not built (npm run build): /dashboard answers 503');
  const admin =
    config.KAFKA_BROKERS === undefined
      ? undefined
      : createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'exactly-console' }).admin();
  const sampler = createDashboardSampler({
    orm,
    registry: options.registry,
    logger: options.logger,
    admin,
    settings: {
      windowMs: config.DASHBOARD_WINDOW,
      bucketMs: config.DASHBOARD_BUCKET,
      sampleIntervalMs: config.DASHBOARD_SAMPLE_INTERVAL,
      settleMs: config.DASHBOARD_SETTLE,
      queryTimeoutMs: config.DASHBOARD_QUERY_TIMEOUT,
      metricsUrls: config.DASHBOARD_METRICS_URLS,
      consumerGroup: config.CONSUMER_GROUP,
      commandsTopic: config.COMMANDS_TOPIC,
    },
  });
  const streams = new Set<() => void>();

  app.addHook('preClose', async () => {
    // Open event streams would keep the server from closing.
    for (const end of streams) end();
  });

  await app.register(async (page) => {
    page.addHook('onSend', async (_request, reply) => {
      reply.headers(securityHeaders);
    });
    const serve = (path: string) => async (request: FastifyRequest, reply: FastifyReply) =>
      sendAsset(request, reply, assets, path);
    page.get('/dashboard', serve('index.html'));
    page.get('/dashboard/', serve('index.html'));
    page.get('/dashboard/favicon.svg', serve('favicon.svg'));
    page.get<{ Params: { '*': string } }>('/dashboard/assets/*', async (request, reply) =>
      sendAsset(request, reply, assets, `assets/${request.params['*']}`),
    );
  });

  await app.register(async (api) => {
    api.addHook('onSend', async (_request, reply) => {
      reply.headers({ ...securityHeaders, 'cache-control': 'no-store' });
    });
    api.addHook('onRequest', async (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') assertSameOrigin(request);
      // Signing in, and asking whether one is signed in, are the only routes open to everyone.
      const open = request.routeOptions.url === '/dashboard/api/session' && request.method !== 'DELETE';
      if (!open && !isOperator(request, sessions)) {
        throw new ExactlyError('unauthenticated', 'sign in with the operator token first');
      }
    });

    // The one body read before authentication (it carries the token): kept small.
    api.post('/dashboard/api/session', { bodyLimit: 4_096 }, async (request, reply) => {
      const retryAfterSeconds = throttle.retryAfterSeconds(request.ip);
      if (retryAfterSeconds > 0) {
        request.log.warn({ ip: request.ip }, 'dashboard sign-in throttled');
        throw new ExactlyError(
          'rate_limited',
          `too many failed sign-ins from this address; retry after ${retryAfterSeconds} s`,
          { details: { retryAfterSeconds } },
        );
      }
      const { token: given } = validated(Login, request.body, 'the sign-in');
      if (!sessions.isOperatorToken(given)) {
        throttle.recordFailure(request.ip);
        request.log.warn({ ip: request.ip }, 'dashboard sign-in refused');
        throw new ExactlyError('unauthenticated', 'that is not the operator token');
      }
      const session = sessions.issue();
      return reply
        .header('set-cookie', cookie(request, session.value, session.maxAgeSeconds))
        .code(204)
        .send();
    });
    api.get('/dashboard/api/session', async (request, reply) =>
      json(reply, { signedIn: isOperator(request, sessions) }),
    );
    api.delete('/dashboard/api/session', async (request, reply) => {
      // Sign-out ends the session itself, not only the browser's copy of the cookie.
      sessions.revoke(readCookie(request.headers.cookie, sessionCookie));
      return reply
        .header('set-cookie', cookie(request, '', 0))
        .code(204)
        .send();
    });

    api.get('/dashboard/api/snapshot', async (_request, reply) => json(reply, await sampler.current()));

    api.get('/dashboard/api/events', (request, reply) => {
      streamSnapshots(request, reply, sampler, sessions, streams);
    });

    // Each webhook endpoint's health: last success and failure, failing streak, disabled and why.
    api.get('/dashboard/api/webhook-endpoints', async (_request, reply) =>
      json(reply, {
        data: await readOnly(orm, config.DASHBOARD_QUERY_TIMEOUT, (em) => listAllWebhookEndpoints(em)),
      }),
    );

    api.get('/dashboard/api/messages', async (request, reply) => {
      const { q } = validated(SearchQuery, request.query, 'the search');
      try {
        return json(
          reply,
          await readOnly(orm, config.DASHBOARD_QUERY_TIMEOUT, (em) => searchMessages(em, q)),
        );
      } catch (error) {
        if (!isStatementTimeout(error)) throw error;
        throw new ExactlyError(
          'unavailable',
          'the search by key alone took too long (it scans every account); search for <account id>/<key> instead',
          { cause: error },
        );
      }
    });
    api.get<{ Params: { id: string } }>('/dashboard/api/messages/:id', async (request, reply) => {
      const found = await readOnly(orm, config.DASHBOARD_QUERY_TIMEOUT, (em) =>
        inspectMessage(em, request.params.id),
      );
      if (found === undefined) throw new ExactlyError('not_found', `no message ${request.params.id}`);
      return json(reply, found);
    });

    api.get('/dashboard/api/dead-letters', async (request, reply) => {
      const query = validated(DeadLetterQuery, request.query, 'the query');
      const letters = await readOnly(orm, config.DASHBOARD_QUERY_TIMEOUT, (em) =>
        listDeadLetters(em, {
          limit: query.limit,
          ...(query.before === undefined ? {} : { before: query.before }),
          ...(query.code === undefined ? {} : { code: query.code }),
          pending: query.pending === 'true',
        }),
      );
      return json(reply, letters);
    });
    // Exactly what `exactly dlq redrive <id>` does: @exactly/operations' redriveDeadLetters.
    api.post<{ Params: { id: string } }>(
      '/dashboard/api/dead-letters/:id/redrive',
      async (request, reply) => {
        const { id } = validated(IdParam, request.params, 'the dead letter');
        const [outcome] = await redriveDeadLetters({ orm }, { ids: [id] });
        if (outcome === undefined || outcome.outcome === 'not_found') {
          throw new ExactlyError('not_found', `no dead letter ${id}`);
        }
        request.log.info(
          { deadLetter: id, outcome: outcome.outcome },
          'dead letter redrive from the dashboard',
        );
        return json(reply, outcome);
      },
    );
  });

  return {
    async close() {
      for (const end of streams) end();
      await sampler.close();
    },
  };
}

function isOperator(request: FastifyRequest, sessions: OperatorSessions): boolean {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const bearer = /^Bearer +(\S{1,1024})$/i.exec(authorization)?.[1];
    return bearer !== undefined && sessions.isOperatorToken(bearer);
  }
  return sessions.verify(readCookie(request.headers.cookie, sessionCookie));
}

/**
 * The session cookie is SameSite=Strict, so another site cannot use it; refusing state changes
 * whose Origin is another site is the second lock (older browsers, and sites on the same host).
 */
function assertSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  const host = request.headers.host;
  const sameOrigin = origin === undefined || (host !== undefined && URL.parse(origin)?.host === host);
  if (!sameOrigin || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
    throw new ExactlyError('forbidden', 'the dashboard accepts changes from its own pages only');
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${sessionCookie}=${value}; Path=/dashboard; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
}

function json(reply: FastifyReply, body: unknown) {
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
}

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

function sendAsset(
  request: FastifyRequest,
  reply: FastifyReply,
  assets: Map<string, DashboardAsset> | undefined,
  path: string,
) {
  if (assets === undefined) {
    throw new ExactlyError('unavailable', 'the dashboard is not built: run npm run build');
  }
  const asset = assets.get(path);
  if (asset === undefined) throw new ExactlyError('not_found', `no dashboard file ${path}`);
  reply
    .header('etag', asset.etag)
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .type(asset.contentType);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.send(asset.body);
}

/** Server-sent events: a snapshot at once, then one per sample, until the client leaves or the session ends. */
function streamSnapshots(
  request: FastifyRequest,
  reply: FastifyReply,
  sampler: DashboardSampler,
  sessions: OperatorSessions,
  streams: Set<() => void>,
): void {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...securityHeaders,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  raw.write('retry: 2000\n\n');
  const cookieValue = readCookie(request.headers.cookie, sessionCookie);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(heartbeat);
    streams.delete(end);
    raw.end();
  };
  const send = (snapshot: DashboardSnapshot) => {
    // A session that expires while watching ends the stream; the page then asks to sign in.
    if (request.headers.authorization === undefined && !sessions.verify(cookieValue)) return end();
    raw.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
  };
  const unsubscribe = sampler.subscribe(send);
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
  streams.add(end);
  request.raw.on('close', end);
  sampler
    .current()
    .then((snapshot) => {
      if (!ended) send(snapshot);
    })
    .catch((error: unknown) => request.log.warn({ err: error }, 'dashboard snapshot failed'));
}

const offPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Exactly · dashboard off</title></head>
<body><h1>The operator dashboard is off</h1>
<p>${offExplanation}</p></body></html>
`;
