import type { ErrorCode } from '@exactly/errors';

/** What `exactly` exits with; scripts can rely on these (README.md lists them). */
export const exitCodes = {
  ok: 0,
  /** A bug or an unexpected failure: the message says what happened. */
  internal: 1,
  /** Bad arguments, flags or configuration (including an API key the API refuses). */
  usage: 2,
  /** Refused to keep the pipeline safe: a replay with live members or past the inbox horizon; a change to a send already started or cancelled. */
  refused: 3,
  /** The account, key, message, dead letter, group or topic does not exist. */
  notFound: 4,
  /** PostgreSQL, Kafka or the API could not be reached; try again once it is up. */
  unavailable: 5,
  /** Finished, but some items failed (sends, redrives): the output lists them. */
  partial: 6,
  /** The read models differ from the event store (`projections rebuild`). */
  differs: 7,
} as const;
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** The exit code for an error that ended a command. */
export function exitCodeFor(code: ErrorCode | undefined): ExitCode {
  switch (code) {
    case 'invalid_request':
    case 'malformed_json':
    case 'config_invalid':
    case 'unauthenticated':
    case 'forbidden':
    case 'idempotency_key_missing':
    case 'idempotency_key_invalid':
    case 'idempotency_key_reused':
    case 'payload_too_large':
    case 'unsupported_media_type':
      return exitCodes.usage;
    case 'replay_beyond_horizon':
    case 'payload_conflict':
    case 'send_started':
    case 'message_cancelled':
    case 'not_scheduled':
      return exitCodes.refused;
    case 'not_found':
      return exitCodes.notFound;
    case 'unavailable':
    case 'overloaded':
    case 'rate_limited':
    case 'idempotency_key_in_flight':
      return exitCodes.unavailable;
    default:
      return exitCodes.internal;
  }
}
