import { Webhook } from 'standardwebhooks';

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The Standard Webhooks headers of one attempt: signed with the endpoint's secret and, during a
 * rotation's overlap, also with the previous one (space-separated signatures, as the
 * specification allows), so a receiver still holding the old secret verifies too.
 */
export function signWebhook(
  id: string,
  at: Date,
  payload: string,
  secrets: readonly string[],
): WebhookHeaders {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(id, at, payload));
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1_000)),
    'webhook-signature': signatures.join(' '),
  };
}
