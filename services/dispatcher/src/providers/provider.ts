import type { SendMessage } from '@exactly/contracts';

/** One send, as every provider gets it. */
export interface SendRequest {
  /** The provider idempotency key: the message id, the same on every attempt and after a crash. */
  idempotencyKey: string;
  messageId: string;
  accountId: string;
  attempt: number;
  message: SendMessage;
}

/** What a call came to: an expected outcome is a value, never an exception. */
export type SendOutcome =
  | { status: 'accepted'; replayed: boolean; providerMessageId?: string }
  | { status: 'failed'; retryable: boolean; error: string };

/** A channel provider. `send` must honour `signal` (the call's timeout) and never throw. */
export interface Provider {
  readonly name: string;
  send(request: SendRequest, signal: AbortSignal): Promise<SendOutcome>;
  close(): Promise<void>;
}

export function failure(error: unknown, retryable: boolean): SendOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return { status: 'failed', retryable, error: storableError(message) };
}

/** Error text from outside (a provider's reply) as PostgreSQL text can hold it: bounded, no NUL, well-formed. */
export function storableError(text: string): string {
  return text.slice(0, 1_000).replaceAll('\u0000', '\\u0000').toWellFormed();
}
