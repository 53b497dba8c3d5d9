import type { Clock } from './clock.js';
import { ExactlyApiError, ExactlyNetworkError } from './errors.js';
import { delayBeforeRetry, type RetryPolicy, retryAfterDelay } from './retryPolicy.js';

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  retry: RetryPolicy;
  idempotencyHeader: string;
  fetch: typeof globalThis.fetch;
  clock: Clock;
  random: () => number;
  userAgent: string | undefined;
  onRetry: ((event: RetryEvent) => void) | undefined;
}

export interface RetryEvent {
  method: string;
  path: string;
  /** The retry about to happen, from 1. */
  retry: number;
  delayMs: number;
  error: ExactlyApiError | ExactlyNetworkError;
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  path: string;
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal | undefined;
}

export interface ApiResponse<Body> {
  status: number;
  headers: Headers;
  body: Body;
}

/**
 * Statuses worth the same request again: the conditions pass by themselves. A 408 is the
 * server's HTTP layer giving up on reading the request: it was never handled.
 */
const retryableStatuses = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Whether an API error can succeed on retry. A 409 is retried only when the key's first
 * request is still in flight: some profiles answer 409 for a key reused with another body,
 * which no retry can fix.
 */
export function isRetryableApiError(status: number, code: string): boolean {
  if (status === 409) return code === 'idempotency_key_in_flight';
  return retryableStatuses.has(status);
}

/**
 * Sends one logical call, retrying per the policy with the same idempotency key on every
 * attempt, so a retry can never run the command twice.
 */
export async function callApi<Body>(
  options: TransportOptions,
  request: ApiRequest,
): Promise<ApiResponse<Body>> {
  const url = new URL(request.path, options.baseUrl);
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.apiKey}`,
    accept: 'application/json',
  };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.idempotencyKey !== undefined) headers[options.idempotencyHeader] = request.idempotencyKey;
  if (options.userAgent !== undefined) headers['user-agent'] = options.userAgent;
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);

  for (let retry = 0; ; retry++) {
    let error: ExactlyApiError | ExactlyNetworkError;
    let retryAfterMs: number | undefined;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    try {
      const response = await options.fetch(url, { method: request.method, headers, body, signal });
      if (response.ok) {
        return { status: response.status, headers: response.headers, body: (await response.json()) as Body };
      }
      const problem = await readProblem(response);
      const code = typeof problem.code === 'string' ? problem.code : `http_${response.status}`;
      error = new ExactlyApiError(
        response.status,
        problem,
        response.headers.get('x-request-id') ?? undefined,
        isRetryableApiError(response.status, code),
      );
      retryAfterMs = retryAfterDelay(response.headers.get('retry-after'), options.clock.now());
    } catch (thrown) {
      if (request.signal?.aborted) throw request.signal.reason;
      const timedOut = timeout.aborted;
      const reason = timedOut ? `no answer within ${options.timeoutMs} ms` : (thrown as Error).message;
      error = new ExactlyNetworkError(`${request.method} ${request.path}: ${reason}`, timedOut, thrown);
    }
    if (!error.retryable || retry >= options.retry.maxRetries) throw error;
    const delayMs = delayBeforeRetry(retry, options.retry, options.random, retryAfterMs);
    options.onRetry?.({ method: request.method, path: request.path, retry: retry + 1, delayMs, error });
    await options.clock.sleep(delayMs, request.signal);
  }
}

async function readProblem(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's error page, say): keep the text as the detail.
  }
  return { status: response.status, detail: text.slice(0, 500) || response.statusText };
}
