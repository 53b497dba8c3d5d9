import { ExactlyError } from '@exactly/errors';
import { createClient, ExactlyApiError, type ExactlyClient, ExactlyNetworkError } from '@exactly/sdk';
import type { CliContext } from '../cliContext.js';

export interface ApiOptions {
  apiUrl?: string;
  apiKey?: string;
}

/** The SDK client for `send` and `status`, from the flags or EXACTLY_API_URL / EXACTLY_API_KEY. */
export function apiClient(
  context: CliContext,
  options: ApiOptions,
  { maxRetries }: { maxRetries?: number } = {},
): { client: ExactlyClient; baseUrl: string } {
  const baseUrl = options.apiUrl ?? context.config.EXACTLY_API_URL;
  const apiKey = options.apiKey ?? context.config.EXACTLY_API_KEY;
  if (apiKey === undefined || apiKey === '') {
    throw new ExactlyError(
      'config_invalid',
      'no API key: set EXACTLY_API_KEY or pass --api-key (create one with `exactly accounts create <name>` or `exactly keys create <account-id>`)',
    );
  }
  const client = createClient({
    baseUrl,
    apiKey,
    userAgent: 'exactly-cli',
    ...(maxRetries === undefined ? {} : { maxRetries }),
  });
  return { client, baseUrl };
}

/** An SDK error as an ExactlyError that says what to do. */
export function apiError(error: unknown, baseUrl: string): ExactlyError {
  if (error instanceof ExactlyError) return error;
  if (error instanceof ExactlyNetworkError) {
    return new ExactlyError(
      'unavailable',
      `cannot reach the ingest API at ${baseUrl} (${error.message}): start it (\`npm start\`) or set EXACTLY_API_URL / --api-url`,
      { cause: error },
    );
  }
  if (error instanceof ExactlyApiError) {
    const fields = error.fieldErrors.map((field) => `\n  ${field.path}: ${field.message}`).join('');
    if (error.status === 401) {
      return new ExactlyError(
        'unauthenticated',
        'the API refused the API key: set EXACTLY_API_KEY or --api-key to an active key (`exactly keys list <account-id>`)',
        { cause: error },
      );
    }
    if (error.status === 404) return new ExactlyError('not_found', error.detail, { cause: error });
    const code = knownCode(error.code) ?? (error.retryable ? 'unavailable' : 'invalid_request');
    return new ExactlyError(
      code,
      `the API answered ${error.status} ${error.code}: ${error.detail}${fields}`,
      {
        cause: error,
      },
    );
  }
  return new ExactlyError('internal', (error as Error).message, { cause: error });
}

function knownCode(code: string) {
  const codes = [
    'invalid_request',
    'malformed_json',
    'idempotency_key_missing',
    'idempotency_key_invalid',
    'idempotency_key_reused',
    'idempotency_key_in_flight',
    'payload_too_large',
    'rate_limited',
    'overloaded',
    'unavailable',
    'send_started',
    'message_cancelled',
    'not_scheduled',
  ] as const;
  return codes.find((known) => known === code);
}
