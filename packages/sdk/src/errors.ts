/** One failing field of a request, as the API reports it. */
export interface FieldError {
  path: string;
  message: string;
}

/** Every error the client throws. `retryable` says whether the same call can succeed later. */
export class ExactlyClientError extends Error {
  override name = 'ExactlyClientError';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.retryable = retryable;
  }
}

/** The API answered with an error (RFC 9457 problem details). */
export class ExactlyApiError extends ExactlyClientError {
  override name = 'ExactlyApiError';
  readonly status: number;
  readonly code: string;
  readonly type: string;
  readonly detail: string;
  readonly fieldErrors: FieldError[];
  readonly requestId: string | undefined;
  /** The whole problem document, extension members included. */
  readonly problem: Record<string, unknown>;

  constructor(
    status: number,
    problem: Record<string, unknown>,
    requestId: string | undefined,
    retryable: boolean,
  ) {
    const code = typeof problem.code === 'string' ? problem.code : `http_${status}`;
    const detail = typeof problem.detail === 'string' ? problem.detail : `HTTP ${status}`;
    super(`${status} ${code}: ${detail}`, retryable);
    this.status = status;
    this.code = code;
    this.type = typeof problem.type === 'string' ? problem.type : 'about:blank';
    this.detail = detail;
    this.fieldErrors = Array.isArray(problem.errors) ? (problem.errors as FieldError[]) : [];
    this.requestId = requestId;
    this.problem = problem;
  }
}

/** The request never got an answer: connection refused or reset, DNS, or the timeout. */
export class ExactlyNetworkError extends ExactlyClientError {
  override name = 'ExactlyNetworkError';
  readonly timedOut: boolean;
  constructor(message: string, timedOut: boolean, cause: unknown) {
    super(message, true, { cause });
    this.timedOut = timedOut;
  }
}
