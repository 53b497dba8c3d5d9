import { ExactlyError } from '@exactly/errors';
import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../newId.js';
import { runSql } from '../runSql.js';
import { generateApiKey } from './apiKeySecret.js';

export interface IssuedApiKey {
  keyId: string;
  accountId: string;
  /** The secret: shown once, never stored (only its SHA-256 is). */
  apiKey: string;
}

/** Creates a new API key for an account; throws `not_found` when the account does not exist. */
export async function issueApiKey(em: EntityManager, accountId: string): Promise<IssuedApiKey> {
  const { secret, hash, displayPrefix } = generateApiKey();
  const keyId = newId('key');
  const { rowCount } = await runSql(
    em,
    `INSERT INTO api_keys (id, account_id, secret_hash, display_prefix)
     SELECT $1, id, $3, $4 FROM accounts WHERE id = $2`,
    [keyId, accountId, hash, displayPrefix],
  );
  if (rowCount === 0) throw new ExactlyError('not_found', `account ${accountId} does not exist`);
  return { keyId, accountId, apiKey: secret };
}
