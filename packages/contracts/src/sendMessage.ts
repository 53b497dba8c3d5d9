import { z } from 'zod';
import { storableText } from './text.js';

export const Channel = z.enum(['email', 'sms', 'voice']);
export type Channel = z.infer<typeof Channel>;

const emailAddress = storableText(320).pipe(z.email({ message: 'must be an email address' }));
/** E.164: a plus sign, then 8 to 15 digits. */
const phoneNumber = storableText(16).regex(
  /^\+[1-9]\d{7,14}$/,
  'must be an E.164 phone number such as +15551234567',
);
/** An SMS sender is a phone number or an alphanumeric sender id of up to 11 characters. */
const smsSender = z.union([phoneNumber, storableText(11).regex(/^[A-Za-z0-9 ]*[A-Za-z][A-Za-z0-9 ]*$/)], {
  error: 'must be an E.164 phone number or an alphanumeric sender id of up to 11 characters',
});

export const maxMetadataEntries = 20;
/** A flat map of strings the client attaches for its own use; bounded so it cannot bloat a row. */
export const Metadata = z
  .record(
    storableText(40).regex(/^[A-Za-z0-9_.-]+$/, 'metadata keys use letters, digits, _, . and -'),
    storableText(500),
  )
  .refine((value) => Object.keys(value).length <= maxMetadataEntries, {
    message: `at most ${maxMetadataEntries} metadata entries`,
  });
export type Metadata = z.infer<typeof Metadata>;

export const SendEmail = z.strictObject({
  channel: z.literal('email'),
  to: emailAddress,
  from: emailAddress,
  subject: storableText(998).min(1),
  text: storableText(100_000).min(1).optional(),
  html: storableText(1_000_000).min(1).optional(),
  metadata: Metadata.optional(),
});

export const SendSms = z.strictObject({
  channel: z.literal('sms'),
  to: phoneNumber,
  from: smsSender,
  text: storableText(1_600).min(1),
  metadata: Metadata.optional(),
});

export const SendVoiceCall = z.strictObject({
  channel: z.literal('voice'),
  to: phoneNumber,
  from: phoneNumber,
  /** What the call speaks. */
  text: storableText(10_000).min(1),
  metadata: Metadata.optional(),
});

/** One send command, as a client posts it. */
export const SendMessage = z
  .discriminatedUnion('channel', [SendEmail, SendSms, SendVoiceCall])
  .refine(
    (command) => command.channel !== 'email' || command.text !== undefined || command.html !== undefined,
    {
      message: 'an email needs text, html or both',
      path: ['text'],
    },
  );
export type SendMessage = z.infer<typeof SendMessage>;

export const maxBatchSize = 1_000;

/** Up to 1,000 commands under one idempotency key, accepted all or nothing. */
export const SendMessageBatch = z.strictObject({
  messages: z.array(SendMessage).min(1).max(maxBatchSize),
});
export type SendMessageBatch = z.infer<typeof SendMessageBatch>;
