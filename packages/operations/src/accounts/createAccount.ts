import { type IssuedApiKey, inTransaction, issueApiKey, newId, type Orm, runSql } from '@exactly/persistence';

/** A new account with its first API key, in one transaction. */
export async function createAccount(orm: Orm, name: string): Promise<IssuedApiKey> {
  return inTransaction(orm, async (em) => {
    const accountId = newId('acc');
    await runSql(em, 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, name]);
    return issueApiKey(em, accountId);
  });
}
