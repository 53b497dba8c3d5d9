import { z } from 'zod';
import { Metadata } from './sendMessage.js';
import { storableText } from './text.js';

/** How far ahead a send may be scheduled: 30 days, so a schedule never outlives the data kept about it. */
export const maxScheduleAheadMs = 30 * 24 * 60 * 60 * 1000;

/**
 * When to send, as an RFC 3339 date-time with an offset (`2026-12-24T09:00:00+01:00`). A time
 * not after the moment the request is accepted means "now"; one more than 30 days ahead is refused
 * where the request's clock is known (the route checks it).
 */
export const SendAt = z.iso.datetime({
  offset: true,
  message: 'must be an RFC 3339 date-time with an offset',
});
export type SendAt = z.infer<typeof SendAt>;

/**
 * `PATCH /v1/messages/{id}`: a new time, new content, or both, for a message not yet due. The
 * content fields are merged into the message's command and the result is validated as a send.
 */
export const MessagePatch = z
  .strictObject({
    send_at: SendAt.optional(),
    to: storableText(320).optional(),
    from: storableText(320).optional(),
    subject: storableText(998).optional(),
    text: storableText(1_000_000).optional(),
    html: storableText(1_000_000).optional(),
    metadata: Metadata.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'change at least one field' });
export type MessagePatch = z.infer<typeof MessagePatch>;
