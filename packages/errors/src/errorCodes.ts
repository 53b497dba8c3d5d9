/**
 * Every error the system reports, by stable code. `status` is the HTTP status a client
 * sees when the error reaches it; `retryable` says whether trying the same thing again
 * can succeed without a change (the consumer, the relay and the SDK decide on it).
 */
export const errorCodes = {
  // Client errors: the request must change before it can succeed.
  invalid_request: { status: 400, retryable: false, title: 'The request is not valid' },
  malformed_json: { status: 400, retryable: false, title: 'The request body is not valid JSON' },
  idempotency_key_missing: { status: 400, retryable: false, title: 'An idempotency key is required' },
  idempotency_key_invalid: { status: 400, retryable: false, title: 'The idempotency key is not valid' },
  idempotency_key_reused: {
    status: 422,
    retryable: false,
    title: 'The idempotency key was used with another request',
  },
  unauthenticated: { status: 401, retryable: false, title: 'Authentication failed' },
  forbidden: { status: 403, retryable: false, title: 'Not allowed' },
  not_found: { status: 404, retryable: false, title: 'Not found' },
  method_not_allowed: { status: 405, retryable: false, title: 'Method not allowed' },
  payload_too_large: { status: 413, retryable: false, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, retryable: false, title: 'Unsupported media type' },
  // Conditions that pass by themselves: the same request can succeed later.
  idempotency_key_in_flight: {
    status: 409,
    retryable: true,
    title: 'A request with this idempotency key is still in progress',
  },
  rate_limited: { status: 429, retryable: true, title: 'Too many requests' },
  overloaded: { status: 503, retryable: true, title: 'The service is overloaded' },
  unavailable: { status: 503, retryable: true, title: 'A dependency is unavailable' },
  internal: { status: 500, retryable: true, title: 'Internal error' },
  // Errors that never reach an HTTP client.
  config_invalid: { status: 500, retryable: false, title: 'The configuration is not valid' },
  infra_failed: { status: 500, retryable: false, title: 'Local infrastructure failed' },
  database_unsupported: {
    status: 500,
    retryable: false,
    title: 'The PostgreSQL server is older than the services need',
  },
  schema_invalid: { status: 400, retryable: false, title: 'A record does not match its schema' },
  payload_conflict: {
    status: 409,
    retryable: false,
    title: 'A command id arrived again with another payload',
  },
  concurrency_conflict: { status: 409, retryable: true, title: 'The stream changed concurrently' },
  provider_rejected: { status: 502, retryable: false, title: 'The provider refused the send' },
  provider_unavailable: { status: 502, retryable: true, title: 'The provider is unavailable' },
  command_not_accepted: {
    status: 404,
    retryable: false,
    title: 'The command was never accepted: no such message for its account',
  },
  processing_failed: {
    status: 500,
    retryable: false,
    title: 'A record failed the same way on every try and was set aside',
  },
  replay_beyond_horizon: {
    status: 409,
    retryable: false,
    title: 'The replay reaches past the deduplication horizon',
  },
  template_invalid: { status: 422, retryable: false, title: 'The template is not valid' },
  template_not_found: {
    status: 422,
    retryable: false,
    title: 'The send names a template (or version) this account does not have',
  },
  template_variables_invalid: {
    status: 422,
    retryable: false,
    title: 'The variables do not fit the template',
  },
  template_version_conflict: {
    status: 409,
    retryable: true,
    title: 'Another version of the template was created at the same time',
  },
  send_started: {
    status: 409,
    retryable: false,
    title: 'The scheduled send already started: it can no longer be changed or cancelled',
  },
  message_cancelled: {
    status: 409,
    retryable: false,
    title: 'The message was cancelled: it can no longer be changed',
  },
  not_scheduled: {
    status: 409,
    retryable: false,
    title: 'The message was not scheduled: only a scheduled send can be changed or cancelled',
  },
} as const satisfies Record<string, { status: number; retryable: boolean; title: string }>;

export type ErrorCode = keyof typeof errorCodes;
