import { validated } from '@exactly/config';
import { SendEmail, SendMessage, storableText } from '@exactly/contracts';
import { z } from 'zod';

/** Txtly's `POST /emails` and GetMailer's `POST /api/emails`: the seed documents' fields, nothing more. */
export const VendorEmail = SendEmail.omit({ channel: true, metadata: true });

/** Truedy's `POST /api/public/v1/calls`. */
export const TruedyCall = z.strictObject({
  agent_id: storableText(200).min(1),
  phone_number: storableText(16).regex(
    /^\+[1-9]\d{7,14}$/,
    'must be an E.164 phone number such as +15551234567',
  ),
  /** Only outbound calls can be created; inbound ones are placed by callers. */
  direction: z.literal('outbound', { error: 'only "outbound" calls can be created' }).default('outbound'),
});
export type TruedyCall = z.infer<typeof TruedyCall>;

/** Truedy's `POST /api/public/v1/batch-calls`: up to 1,000 calls, accepted all or nothing. */
export const TruedyBatchCalls = z.strictObject({
  calls: z.array(TruedyCall).min(1).max(1_000),
});

/** A vendor email body as the one send command it means (same validation, same field names). */
export function emailCommand(body: unknown): SendMessage {
  const fields = validated(VendorEmail, body, 'the email');
  return validated(SendMessage, { channel: 'email', ...fields }, 'the email');
}

/**
 * A Truedy call as a voice command. The agent is the call's script: the command speaks the
 * reference `agent:<agent_id>`, which the voice provider resolves to the agent, and keeps
 * `agent_id` in the metadata so every read shows it. The caller id is the operator's.
 */
export function callCommand(call: TruedyCall, callerId: string): SendMessage {
  return validated(
    SendMessage,
    {
      channel: 'voice',
      to: call.phone_number,
      from: callerId,
      text: `agent:${call.agent_id}`,
      metadata: { agent_id: call.agent_id, direction: call.direction },
    },
    'the call',
  );
}
