import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** A customer of the pipeline; idempotency keys, messages and API keys belong to one. */
export const Account = defineEntity({
  name: 'Account',
  tableName: 'accounts',
  properties: {
    id: p.string().primary(),
    name: p.string(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
export type Account = InferEntity<typeof Account>;
