import { randomBytes } from 'node:crypto';

/** A new endpoint secret as Standard Webhooks writes them: `whsec_` and 24 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}
