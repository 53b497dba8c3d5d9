import type { SendMessage } from '@exactly/contracts';
import { errorMessage } from '@exactly/errors';
import type { SendsWithOutcome } from './sendsWithOutcome.js';

/** One send, as every provider gets it. */
export interface SendRequest {
  /** The provider key: the message id, the same on every attempt and after a crash. */
  providerKey: string;
  messageId: string;
  accountId: string;
  attempt: number;
  message: SendMessage;
}

/**
 * What a call came to: an expected outcome is a value, never an exception. A failure is one of
 * three kinds: definite (`retryable: false`: the provider refused, nothing was sent),
 * retryable before sending (`retryable: true`: the request never reached the provider, or the
 * provider said it did not take it), or ambiguous (`ambiguous: true`: the request went out and
 * no answer came, so it may have been sent).
 */
export type SendOutcome =
  | { status: 'accepted'; replayed: boolean; providerMessageId?: string }
  | { status: 'failed'; retryable: boolean; error: string; ambiguous?: boolean };

/** A channel provider. `send` must honour `signal` (the call's timeout) and never throw. */
export interface Provider {
  readonly name: string;
  /** Whether the provider drops a repeated provider key (so an ambiguous attempt can be retried). */
  readonly honoursKey: boolean;
  /** Set when the send can be made in the outcome's own transaction (then `send` is not called). */
  readonly withOutcome?: SendsWithOutcome;
  send(request: SendRequest, signal: AbortSignal): Promise<SendOutcome>;
  close(): Promise<void>;
}

export function failure(error: unknown, retryable: boolean): SendOutcome {
  return { status: 'failed', retryable, error: storableError(errorMessage(error)) };
}

/** The request may have reached the provider and no answer came: it may have been sent. */
export function ambiguous(error: unknown): SendOutcome {
  return { status: 'failed', retryable: true, ambiguous: true, error: storableError(errorMessage(error)) };
}

/** Error text from outside (a provider's reply) as PostgreSQL text can hold it: bounded, no NUL, well-formed. */
export function storableError(text: string): string {
  return text.slice(0, 1_000).replaceAll('\u0000', '\\u0000').toWellFormed();
}
