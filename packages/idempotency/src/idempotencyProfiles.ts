import { z } from 'zod';

/**
 * Which characters a key may use: `printable-ascii` (0x20-0x7E, the IETF draft's sf-string),
 * `alphanumeric` (letters, digits, `-` and `_`), or `any` (whatever an HTTP header can carry).
 */
export const KeyCharset = z.enum(['printable-ascii', 'alphanumeric', 'any']);
export type KeyCharset = z.infer<typeof KeyCharset>;

export const IdempotentMethod = z.enum(['POST', 'PUT', 'PATCH']);
export type IdempotentMethod = z.infer<typeof IdempotentMethod>;

/** Everything one API's idempotency contract decides, so one engine can reproduce each of them. */
export const IdempotencyProfile = z.object({
  name: z.string().min(1),
  /** The request header that carries the key (matched case-insensitively, as HTTP requires). */
  header: z.string().regex(/^[A-Za-z0-9-]+$/),
  keyMaxLength: z.number().int().positive().max(1024),
  keyCharset: KeyCharset,
  /** Also accept the IETF draft's quoted form (`"abc"`, an RFC 8941 string) as the key `abc`. */
  acceptQuotedKey: z.boolean(),
  /** A request without a key is refused (400) rather than executed without protection. */
  keyRequired: z.boolean(),
  /** Whose keys share one namespace: the account's, or each API key's. */
  scope: z.enum(['account', 'api_key']),
  /** Whether the endpoint (method and route) is part of the key's identity. */
  perEndpoint: z.boolean(),
  /** The methods whose requests honour the key; on others the header is ignored. */
  methods: z.array(IdempotentMethod).min(1),
  /** How long a key is remembered; afterwards a request with it runs as new. */
  retentionMs: z.number().int().positive(),
  /** The status for a key reused with another request. */
  mismatchStatus: z.union([z.literal(400), z.literal(409), z.literal(422)]),
  /**
   * A key reused with another request: refuse it (`mismatchStatus`, nothing stored), or replay the
   * first reply whatever the body (for APIs that promise "the same response for identical keys").
   */
  onMismatch: z.enum(['refuse', 'replay']),
  /** A retry arriving while the first is in flight: wait for its reply, or answer 409 at once. */
  inFlight: z.enum(['wait', 'conflict']),
  /** The status of a successful create, and whether its resource is wrapped in `{ "data": ... }`. */
  createdStatus: z.union([z.literal(200), z.literal(201), z.literal(202)]),
  envelope: z.enum(['none', 'data']),
});
export type IdempotencyProfile = z.infer<typeof IdempotencyProfile>;

const day = 24 * 60 * 60 * 1000;

const defaultProfile: IdempotencyProfile = {
  name: 'default',
  header: 'Idempotency-Key',
  keyMaxLength: 255,
  keyCharset: 'printable-ascii',
  acceptQuotedKey: true,
  keyRequired: true,
  scope: 'account',
  perEndpoint: true,
  methods: ['POST'],
  retentionMs: day,
  mismatchStatus: 422,
  onMismatch: 'refuse',
  inFlight: 'conflict',
  createdStatus: 202,
  envelope: 'none',
};

/**
 * The built-in profiles: `default` (the IETF httpapi Idempotency-Key draft and Stripe) and one
 * per seed document. Where a document is silent, the profile keeps the default and the README's
 * profiles table says so.
 */
export const idempotencyProfiles = {
  default: defaultProfile,
  // 000: "scoped to your account and remembered for 24 hours", "a different request body returns a
  // 400", "returns the original response ... even if the first request is still being processed",
  // "only applies to POST requests".
  pulsewave: {
    ...defaultProfile,
    name: 'pulsewave',
    acceptQuotedKey: false,
    keyRequired: false,
    perEndpoint: false,
    mismatchStatus: 400,
    inFlight: 'wait',
  },
  // 001: "Maximum 256 characters", "24 hours", "all state-changing endpoints (POST, PATCH, PUT)",
  // a retry "will receive the cached response".
  txtly: {
    ...defaultProfile,
    name: 'txtly',
    keyMaxLength: 256,
    keyCharset: 'any',
    acceptQuotedKey: false,
    keyRequired: false,
    perEndpoint: false,
    methods: ['POST', 'PATCH', 'PUT'],
    // "the same response for identical keys": the first reply, whatever the body.
    onMismatch: 'replay',
    inFlight: 'wait',
  },
  // 002: "unique per API key", "Maximum length: 255", "alphanumeric, hyphens, underscores",
  // "case-sensitive", "Same key, different body: 409 Conflict", "expire after 24 hours".
  getmailer: {
    ...defaultProfile,
    name: 'getmailer',
    keyCharset: 'alphanumeric',
    acceptQuotedKey: false,
    keyRequired: false,
    scope: 'api_key',
    perEndpoint: false,
    mismatchStatus: 409,
    inFlight: 'wait',
  },
  // 003: `X-Idempotency-Key`, "Any unique string", "scoped per organization", "one create
  // operation per endpoint", "201 Created and the new resource in `data`".
  truedy: {
    ...defaultProfile,
    name: 'truedy',
    header: 'X-Idempotency-Key',
    keyCharset: 'any',
    acceptQuotedKey: false,
    keyRequired: false,
    perEndpoint: true,
    inFlight: 'wait',
    createdStatus: 201,
    envelope: 'data',
  },
} as const satisfies Record<string, IdempotencyProfile>;

export type IdempotencyProfileName = keyof typeof idempotencyProfiles;
export const idempotencyProfileNames = Object.keys(idempotencyProfiles) as IdempotencyProfileName[];

/** A built-in profile with individual settings overridden (from the environment, say), validated. */
export function resolveProfile(
  name: IdempotencyProfileName,
  overrides: Partial<Omit<IdempotencyProfile, 'name'>> = {},
): IdempotencyProfile {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return IdempotencyProfile.parse({ ...idempotencyProfiles[name], ...defined });
}
