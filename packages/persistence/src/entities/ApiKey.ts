import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** An account's API key: only the SHA-256 of the secret is stored; the secret is shown once. */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: p.string().primary(),
    accountId: p.string(),
    secretHash: p.type('blob').columnType('bytea').unique(),
    /** The first characters of the secret, so an operator can tell keys apart. */
    displayPrefix: p.string(),
    createdAt: p.datetime().defaultRaw('now()'),
    revokedAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKey>;
