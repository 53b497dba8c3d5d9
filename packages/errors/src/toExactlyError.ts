import { ExactlyError } from './ExactlyError.js';

/**
 * Normalises anything thrown into an ExactlyError, once, at the edge that handles it.
 * Unknown throwables become `internal` (retryable: a retry cannot make things worse, and the
 * cause is kept for the logs).
 */
export function toExactlyError(thrown: unknown): ExactlyError {
  if (thrown instanceof ExactlyError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ExactlyError('internal', message, { cause: thrown });
}
