import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** A record waiting for (or already through) the relay. Writers use `enqueueOutbox`. */
export const OutboxRecord = defineEntity({
  name: 'OutboxRecord',
  tableName: 'outbox',
  properties: {
    id: p.bigint().primary(),
    topic: p.string(),
    kafkaKey: p.string(),
    payload: p.json<unknown>(),
    headers: p.json<Record<string, string>>(),
    shard: p.smallint().persist(false),
    createdAt: p.datetime().defaultRaw('now()'),
    publishedAt: p.datetime().nullable(),
  },
});
export type OutboxRecord = InferEntity<typeof OutboxRecord>;
