import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** One event of a message's stream (the event store); (streamId, version) is unique. */
export const MessageEvent = defineEntity({
  name: 'MessageEvent',
  tableName: 'message_events',
  properties: {
    streamId: p.string().primary(),
    version: p.integer().primary(),
    globalPosition: p.bigint().persist(false),
    type: p.string(),
    data: p.json<Record<string, unknown>>(),
    metadata: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
export type MessageEvent = InferEntity<typeof MessageEvent>;
