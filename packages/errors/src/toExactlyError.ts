import { ExactlyError } from './ExactlyError.js';
import { errorMessage } from './errorMessage.js';

/**
 * Normalises anything thrown into an ExactlyError, once, at the edge that handles it.
 * Unknown throwables become `internal` (retryable: a retry cannot make things worse, and the
 * cause is kept for the logs).
 */
export function toExactlyError(thrown: unknown): ExactlyError {
  if (thrown instanceof ExactlyError) return thrown;
  return new ExactlyError('internal', errorMessage(thrown), { cause: thrown });
}
