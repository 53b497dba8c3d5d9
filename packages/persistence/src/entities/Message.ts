import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** The projection of a message's event stream that the API reads (rebuildable from message_events). */
export const Message = defineEntity({
  name: 'Message',
  tableName: 'messages',
  properties: {
    id: p.string().primary(),
    accountId: p.string(),
    messageKey: p.string(),
    batchId: p.string().nullable(),
    channel: p.string(),
    recipient: p.string(),
    sender: p.string(),
    content: p.json<Record<string, unknown>>(),
    status: p.string(),
    version: p.integer(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});
export type Message = InferEntity<typeof Message>;
