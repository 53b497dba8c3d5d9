import {
  duration,
  flag,
  otelSettings,
  port,
  positiveInt,
  postgresUrl,
  preparedStatements,
  readConfig,
} from '@exactly/config';
import { defaultMaxMessageBytes, defaultTopics } from '@exactly/contracts';
import {
  type IdempotencyProfile,
  IdempotentMethod,
  idempotencyProfileNames,
  KeyCharset,
  resolveProfile,
} from '@exactly/idempotency';
import { z } from 'zod';

export const localDatabaseUrl = 'postgres://postgres:exactly@127.0.0.1:54320/exactly';

/** The ingest API's environment; every variable and its default is listed in the README. */
export const IngestConfig = z
  .object({
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: port.default(3000),
    /**
     * The listener of /healthz, /readyz and /metrics. Unset: they answer on PORT, to local callers
     * only (loopback, no proxy header); set: only on OPS_HOST:OPS_PORT (0: a free port).
     */
    OPS_HOST: z.string().min(1).default('127.0.0.1'),
    OPS_PORT: port.optional(),
    /**
     * Fastify's trustProxy: the proxies whose X-Forwarded-For / -Proto are believed (a comma list of
     * addresses or CIDRs, or `true` for any). Behind a proxy this makes the logs and the
     * request's protocol those of the client.
     */
    TRUST_PROXY: z
      .string()
      .min(1)
      .transform((value): boolean | string[] =>
        value === 'true' ? true : value.split(',').map((part) => part.trim()),
      )
      .optional(),
    DATABASE_URL: postgresUrl.default(localDatabaseUrl),
    DATABASE_POOL_SIZE: positiveInt.default(16),
    DATABASE_PREPARED_STATEMENTS: preparedStatements.default(256),
    /** Connections of the key look-ups, which keep the look-up's plan; 0: they share the pool. */
    DATABASE_LOOKUP_POOL_SIZE: z.coerce.number().int().min(0).max(64).default(4),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    BODY_LIMIT: positiveInt.default(5 * 1024 * 1024),
    COMMANDS_TOPIC: z.string().min(1).default(defaultTopics.commands),
    /** The relay's variable: `max.message.bytes` of the topics; a command whose record is larger is refused (413). */
    RELAY_TOPIC_MAX_MESSAGE_BYTES: positiveInt.default(defaultMaxMessageBytes),
    MESSAGE_EVENTS_TOPIC: z.string().min(1).default(defaultTopics.messageEvents),
    AUTH_CACHE_TTL: duration.default(2_000),
    IDEMPOTENCY_PROFILE: z.enum(idempotencyProfileNames).default('default'),
    /** Start under a profile other than the one the database was used with, and record the new one. */
    IDEMPOTENCY_PROFILE_SWITCH: flag.default(false),
    IDEMPOTENCY_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/)
      .optional(),
    IDEMPOTENCY_KEY_MAX_LENGTH: positiveInt.max(1024).optional(),
    IDEMPOTENCY_KEY_CHARSET: KeyCharset.optional(),
    IDEMPOTENCY_KEY_REQUIRED: flag.optional(),
    IDEMPOTENCY_SCOPE: z.enum(['account', 'api_key']).optional(),
    IDEMPOTENCY_PER_ENDPOINT: flag.optional(),
    IDEMPOTENCY_METHODS: z
      .string()
      .transform((value) => value.split(',').map((method) => method.trim().toUpperCase()))
      .pipe(z.array(IdempotentMethod).min(1))
      .optional(),
    IDEMPOTENCY_RETENTION: duration.optional(),
    IDEMPOTENCY_MISMATCH_STATUS: z.coerce
      .number()
      .pipe(z.union([z.literal(400), z.literal(409), z.literal(422)]))
      .optional(),
    IDEMPOTENCY_ON_MISMATCH: z.enum(['refuse', 'replay']).optional(),
    IDEMPOTENCY_IN_FLIGHT: z.enum(['wait', 'conflict']).optional(),
    IDEMPOTENCY_WAIT_TIMEOUT: duration.default(10_000),
    IDEMPOTENCY_LEASE: duration.default(15_000),
    IDEMPOTENCY_CLEANUP_INTERVAL: duration.default(60_000),
    IDEMPOTENCY_CLEANUP_BATCH: positiveInt.default(1_000),
    IDEMPOTENCY_REPLAY_CACHE: z.coerce.number().int().min(0).default(10_000),
    /** Bytes at most in the replay cache, by an upper bound; 32 MiB fits the 512 MiB limit in infra/k8s. */
    IDEMPOTENCY_REPLAY_CACHE_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .default(32 * 1024 * 1024),
    WRITE_BATCH_MAX: positiveInt.max(1_000).default(256),
    WRITE_CONCURRENCY: positiveInt.default(2),
    /**
     * How long a write group smaller than WRITE_BATCH_MAX may wait for more requests before it
     * starts, while requests come at least every 2 × WRITE_LINGER on average (0: never waits).
     */
    WRITE_LINGER: duration.pipe(z.number().max(100)).default(2),
    SHUTDOWN_TIMEOUT: duration.default(10_000),
    /** Create requests in flight at most, counted once their body is in; more are shed with 503 `overloaded` (0: no limit). */
    ADMISSION_LIMIT: z.coerce.number().int().min(0).default(2_048),
    /** Slow clients: the whole request (headers and body) must arrive within REQUEST_TIMEOUT, the headers within HEADERS_TIMEOUT. */
    REQUEST_TIMEOUT: duration.pipe(z.number().min(1_000)).default(30_000),
    HEADERS_TIMEOUT: duration.pipe(z.number().min(1_000)).default(10_000),
    /** A socket that sends or receives nothing this long is closed (0: never). */
    CONNECTION_TIMEOUT: duration.default(60_000),
    /** How long an idle keep-alive connection stays open between requests. */
    KEEP_ALIVE_TIMEOUT: duration.pipe(z.number().min(1)).default(72_000),
    /** Requests per RATE_LIMIT_WINDOW for one account, and for one API key (0: no limit). */
    ACCOUNT_RATE_LIMIT: z.coerce.number().int().min(0).default(1_000),
    API_KEY_RATE_LIMIT: z.coerce.number().int().min(0).default(1_000),
    RATE_LIMIT_WINDOW: duration.pipe(z.number().min(1_000)).default(1_000),
    /** Requests in progress at once for one account, and for one API key (0: no limit). */
    ACCOUNT_CONCURRENCY: z.coerce.number().int().min(0).default(256),
    API_KEY_CONCURRENCY: z.coerce.number().int().min(0).default(256),
    /** Body bytes held at once by this process, and by one account (0: no bound); see the README's memory budget. */
    BODY_BYTES_IN_FLIGHT: z.coerce
      .number()
      .int()
      .min(0)
      .default(64 * 1024 * 1024),
    ACCOUNT_BODY_BYTES_IN_FLIGHT: z.coerce
      .number()
      .int()
      .min(0)
      .default(16 * 1024 * 1024),
    ...otelSettings,
    /** The number the truedy profile's calls (`POST /api/public/v1/calls`) are placed from. */
    TRUEDY_CALLER_ID: z
      .string()
      .regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 phone number such as +15550100000')
      .default('+15550100000'),
    /** The longest `?wait=` of `GET /v1/idempotency-keys/{key}`; below CONNECTION_TIMEOUT, which would cut a silent wait. */
    KEY_WAIT_MAX: duration.pipe(z.number().min(1_000)).default(50_000),
    /** Lets webhook endpoints on private, loopback and link-local addresses be registered (tests, closed networks). */
    WEBHOOKS_ALLOW_PRIVATE_URLS: flag.default(false),
    /** How long a rotated-out webhook secret keeps signing beside the new one. */
    WEBHOOK_SECRET_OVERLAP: duration.default(86_400_000),
  })
  .refine(
    (config) =>
      [config.BODY_BYTES_IN_FLIGHT, config.ACCOUNT_BODY_BYTES_IN_FLIGHT].every(
        (bound) => bound === 0 || bound >= config.BODY_LIMIT,
      ),
    {
      message:
        'BODY_BYTES_IN_FLIGHT and ACCOUNT_BODY_BYTES_IN_FLIGHT must be at least BODY_LIMIT (or 0): a largest body must fit',
      path: ['ACCOUNT_BODY_BYTES_IN_FLIGHT'],
    },
  )
  .refine((config) => config.CONNECTION_TIMEOUT === 0 || config.KEY_WAIT_MAX < config.CONNECTION_TIMEOUT, {
    message:
      'KEY_WAIT_MAX must be shorter than CONNECTION_TIMEOUT (or CONNECTION_TIMEOUT 0): a wait sends nothing',
    path: ['KEY_WAIT_MAX'],
  })
  .refine((config) => config.HEADERS_TIMEOUT <= config.REQUEST_TIMEOUT, {
    message: 'HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT',
    path: ['HEADERS_TIMEOUT'],
  });
export type IngestConfig = z.infer<typeof IngestConfig>;

/** Reads the configuration once; a bad value throws `config_invalid` naming the variable. */
export function readIngestConfig(env: Record<string, string | undefined> = process.env): IngestConfig {
  return readConfig(IngestConfig, env);
}

/** The configured profile with the individual overrides applied. */
export function profileFromConfig(config: IngestConfig): IdempotencyProfile {
  return resolveProfile(config.IDEMPOTENCY_PROFILE, {
    header: config.IDEMPOTENCY_HEADER,
    keyMaxLength: config.IDEMPOTENCY_KEY_MAX_LENGTH,
    keyCharset: config.IDEMPOTENCY_KEY_CHARSET,
    keyRequired: config.IDEMPOTENCY_KEY_REQUIRED,
    scope: config.IDEMPOTENCY_SCOPE,
    perEndpoint: config.IDEMPOTENCY_PER_ENDPOINT,
    methods: config.IDEMPOTENCY_METHODS,
    retentionMs: config.IDEMPOTENCY_RETENTION,
    mismatchStatus: config.IDEMPOTENCY_MISMATCH_STATUS,
    onMismatch: config.IDEMPOTENCY_ON_MISMATCH,
    inFlight: config.IDEMPOTENCY_IN_FLIGHT,
  });
}
