import { Account, type IssuedApiKey, issueApiKey, newId, type Orm } from '@exactly/persistence';

/** A new account with its first API key, in one transaction. */
export async function createAccount(orm: Orm, name: string): Promise<IssuedApiKey> {
  return orm.em.fork().transactional(async (em) => {
    const accountId = newId('acc');
    em.create(Account, { id: accountId, name });
    await em.flush();
    return issueApiKey(em, accountId);
  });
}
