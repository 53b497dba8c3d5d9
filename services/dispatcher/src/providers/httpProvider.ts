import type { IncomingHttpHeaders } from 'node:http';
import { errorMessage } from '@exactly/errors';
import { traceparentOf, tracingEnabled } from '@exactly/observability';
import { Agent } from 'undici';
import {
  ambiguous,
  failure,
  type Provider,
  type SendOutcome,
  type SendRequest,
  storableError,
} from './provider.js';

export interface HttpProviderOptions {
  url: string;
  /** The header that carries the provider key (default `Idempotency-Key`). */
  keyHeader?: string;
  /** Whether the provider behind the URL drops a repeated key (`HTTP_PROVIDER_HONOURS_KEY`). */
  honoursKey?: boolean;
}

/** Network errors that mean no connection was made, so the request cannot have been sent. */
const beforeSending = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Statuses that a later try can get past: timeout, in progress under the same key, too early, too many. */
const retryable4xx = new Set([408, 409, 425, 429]);

/**
 * POSTs each send as JSON to one URL with the provider key in a header. 2xx (or a replay of
 * an earlier 2xx) is accepted; 408, 409, 425, 429, 5xx, timeouts and network errors are
 * retryable; any other status is a permanent failure, a redirect (3xx) included: it is not followed.
 *
 * Through undici's `request` on a keep-alive pool of its own, not the global `fetch`: the same
 * HTTP client without the WHATWG layers, a quarter of the CPU per call (85 against 320 µs on
 * this project's machine, 20,000 calls at 32 at a time to a local server).
 */
export function createHttpProvider({
  url,
  keyHeader = 'Idempotency-Key',
  honoursKey = false,
}: HttpProviderOptions): Provider {
  const target = new URL(url);
  const pool = new Agent();
  return {
    name: 'http',
    honoursKey,
    async send(request: SendRequest, signal: AbortSignal): Promise<SendOutcome> {
      try {
        const response = await pool.request({
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          signal,
          headers: {
            'content-type': 'application/json',
            [keyHeader]: request.providerKey,
            'exactly-message-id': request.messageId,
            'exactly-attempt': String(request.attempt),
            // With tracing on, the provider call span's context (W3C Trace Context).
            ...traceHeaders(),
          },
          body: JSON.stringify({
            messageId: request.messageId,
            accountId: request.accountId,
            ...request.message,
          }),
        });
        const body = await response.body.text();
        return classifyHttpResponse(response.statusCode, response.headers, body);
      } catch (error) {
        return classifyHttpError(error, signal.aborted);
      }
    },
    async close() {
      await pool.close();
    },
  };
}

/** The outcome of a provider's HTTP answer (exported for its unit test); header names in lower case. */
export function classifyHttpResponse(
  status: number,
  headers: IncomingHttpHeaders,
  body: string,
): SendOutcome {
  if (status >= 200 && status < 300) {
    const replayed = headers['idempotent-replayed'] === 'true' || headers['x-idempotent-replayed'] === 'true';
    const providerMessageId = providerIdFrom(body);
    return { status: 'accepted', replayed, ...(providerMessageId ? { providerMessageId } : {}) };
  }
  if (status >= 300 && status < 400) {
    // Not followed: a POST redirected may lose its body or reach another host; nothing was taken here.
    const location = typeof headers.location === 'string' ? headers.location : 'the final address';
    return {
      status: 'failed',
      retryable: false,
      error: storableError(
        `HTTP ${status}: redirects are not followed; point HTTP_PROVIDER_URL at ${location.slice(0, 300)}`,
      ),
    };
  }
  const error = storableError(`HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
  if (status >= 500 || retryable4xx.has(status)) return { status: 'failed', retryable: true, error };
  return { status: 'failed', retryable: false, error };
}

/**
 * The outcome of a call that got no answer (exported for its unit test): a connection never made
 * is retryable before sending; a timeout or a connection lost once it was made is ambiguous, since
 * the request may have been written and taken.
 */
export function classifyHttpError(error: unknown, timedOut: boolean): SendOutcome {
  if (timedOut) return ambiguous(error);
  const code = errorCode(error) ?? errorCode((error as { cause?: unknown } | undefined)?.cause);
  if (code !== undefined && beforeSending.has(code)) {
    return failure(new Error(`${code}: ${errorMessage(error)}`), true);
  }
  return ambiguous(error);
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function providerIdFrom(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { id?: unknown };
    return typeof parsed.id === 'string' ? storableError(parsed.id.slice(0, 200)) : undefined;
  } catch {
    return undefined;
  }
}

function traceHeaders(): { traceparent?: string } {
  const traceparent = tracingEnabled() ? traceparentOf() : undefined;
  return traceparent === undefined ? {} : { traceparent };
}
