import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** One delivery as Exactly sends it (Standard Webhooks' payload shape). */
export interface WebhookEvent {
  /** The message event's type: MessageAccepted, ProviderAccepted, MessageFailed, MessageHeld... */
  type: string;
  /** When the event happened (ISO 8601). */
  timestamp: string;
  data: { messageId: string; accountId: string; version: number } & Record<string, unknown>;
}

/** The signature, the timestamp (more than 5 minutes off) or the headers do not check out. */
export class WebhookSignatureError extends Error {
  override name = 'WebhookSignatureError';
}

/**
 * Verifies a delivery with the endpoint's `whsec_...` secret, as Standard Webhooks specifies
 * (the standardwebhooks library: HMAC-SHA256 over `id.timestamp.body`, timestamps within 5
 * minutes), and returns the parsed event. Pass the raw body exactly as received. Deduplicate on
 * the `webhook-id` header: a retry or a replay carries the same one.
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: Record<string, string | string[] | undefined> | Headers,
  secret: string,
): WebhookEvent {
  const read = (name: string): string => {
    const value = headers instanceof Headers ? headers.get(name) : headers[name];
    return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  };
  try {
    const body = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
    return new Webhook(secret).verify(body, {
      'webhook-id': read('webhook-id'),
      'webhook-timestamp': read('webhook-timestamp'),
      'webhook-signature': read('webhook-signature'),
    }) as WebhookEvent;
  } catch (error) {
    if (error instanceof WebhookVerificationError) throw new WebhookSignatureError(error.message);
    throw error;
  }
}
