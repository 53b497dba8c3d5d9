import { type ErrorCode, errorCodes } from './errorCodes.js';

export interface ExactlyErrorOptions {
  cause?: unknown;
  /** Overrides the code's default (for example, a transient database error is retryable). */
  retryable?: boolean;
  /** Overrides the code's default HTTP status (an idempotency profile may answer 400 or 409). */
  status?: number;
  /** Data for the operator or the client: failing fields, the variable to fix, the key. */
  details?: Record<string, unknown>;
}

/** The one base error: a stable code, an HTTP status, a retryable flag and a cause. */
export class ExactlyError extends Error {
  override readonly name = 'ExactlyError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ExactlyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? errorCodes[code].status;
    this.retryable = options.retryable ?? errorCodes[code].retryable;
    this.details = options.details;
  }
}

export function isExactlyError(thrown: unknown): thrown is ExactlyError {
  return thrown instanceof ExactlyError;
}
