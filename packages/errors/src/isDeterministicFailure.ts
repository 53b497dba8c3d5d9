import { isExactlyError } from './ExactlyError.js';

// SQLSTATE classes that a given record causes every time: data exceptions (22), integrity
// constraint violations (23) and program limits such as an index row too large (54).
const deterministicClasses = new Set(['22', '23', '54']);

/**
 * Whether trying the same batch again would fail the same way. Everything else (a connection
 * lost, a deadlock, a server restarting, a concurrency conflict) is transient: the batch is
 * tried again, and nothing is skipped.
 */
export function isDeterministicFailure(thrown: unknown): boolean {
  for (let error: unknown = thrown, depth = 0; error !== undefined && depth < 5; depth += 1) {
    if (isExactlyError(error)) return !error.retryable;
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return deterministicClasses.has(code.slice(0, 2));
    }
    error = (error as { cause?: unknown } | null)?.cause;
  }
  return false;
}
