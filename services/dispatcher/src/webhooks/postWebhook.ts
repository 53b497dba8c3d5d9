import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import {
  guardedLookup,
  hostOf,
  isRefusedAddress,
  type WebhookHeaders,
  type WebhookUrlPolicy,
} from '@exactly/webhooks';

export type PostResult = { status: number } | { error: string };

/**
 * POSTs one signed delivery. The address is checked where the connection is made (a name that
 * now resolves to a refused address fails the attempt), and the body of the answer is read and
 * dropped: only its status counts.
 */
export function postWebhook(
  url: string,
  payload: string,
  headers: WebhookHeaders & { traceparent?: string },
  options: WebhookUrlPolicy & { timeoutMs: number },
): Promise<PostResult> {
  const target = new URL(url);
  const host = hostOf(target);
  if (!options.allowPrivateAddresses && isIP(host) !== 0 && isRefusedAddress(host)) {
    return Promise.resolve({ error: `${host} is a private, loopback or link-local address` });
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const request = send(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'user-agent': 'exactly-webhooks/1',
        },
        lookup: guardedLookup(options),
        timeout: options.timeoutMs,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
        response.on('error', (error) => resolve({ error: error.message }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => resolve({ error: error.message }));
    request.end(payload);
  });
}
