import type { ActiveApiKey, Orm } from '@exactly/persistence';
import { createApiKeyAuthenticator } from './createApiKeyAuthenticator.js';

const key: ActiveApiKey = { keyId: 'key_1', accountId: 'acc_1' };

/** A key store that answers after `delayMs` and counts the lookups it was asked for. */
function countingStore(found: ActiveApiKey | undefined, delayMs = 20) {
  const store = {
    lookups: 0,
    findKey: async (_secret: string) => {
      store.lookups += 1;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return found;
    },
  };
  return store;
}

describe('the API key authenticator', () => {
  it('looks a key up once for requests that arrive together while it is not cached', async () => {
    const store = countingStore(key);
    const auth = createApiKeyAuthenticator({ orm: {} as Orm, cacheTtlMs: 2_000, findKey: store.findKey });
    const principals = await Promise.all(
      Array.from({ length: 50 }, () => auth.authenticate('Bearer sk_one')),
    );
    expect(principals).toEqual(Array.from({ length: 50 }, () => ({ accountId: 'acc_1', apiKeyId: 'key_1' })));
    expect(store.lookups).toBe(1);
  });

  it('looks a key up again once its cached answer is older than the TTL', async () => {
    let clock = 0;
    const store = countingStore(key, 0);
    const auth = createApiKeyAuthenticator({
      orm: {} as Orm,
      cacheTtlMs: 2_000,
      now: () => clock,
      findKey: store.findKey,
    });
    await auth.authenticate('Bearer sk_one');
    clock = 1_999;
    await auth.authenticate('Bearer sk_one');
    expect(store.lookups).toBe(1);
    clock = 2_000;
    await auth.authenticate('Bearer sk_one');
    expect(store.lookups).toBe(2);
  });

  it('refuses an unknown key to every request that waited on its lookup, and remembers nothing', async () => {
    const store = countingStore(undefined);
    const auth = createApiKeyAuthenticator({ orm: {} as Orm, cacheTtlMs: 2_000, findKey: store.findKey });
    const outcomes = await Promise.allSettled([
      auth.authenticate('Bearer sk_bad'),
      auth.authenticate('Bearer sk_bad'),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    await expect(auth.authenticate('Bearer sk_bad')).rejects.toMatchObject({ code: 'unauthenticated' });
    // The first two shared a lookup; the third asked again (unknown keys are never remembered).
    expect(store.lookups).toBe(2);
  });

  it('with the cache off, every request looks its key up', async () => {
    const store = countingStore(key);
    const auth = createApiKeyAuthenticator({ orm: {} as Orm, cacheTtlMs: 0, findKey: store.findKey });
    await Promise.all(Array.from({ length: 5 }, () => auth.authenticate('Bearer sk_one')));
    expect(store.lookups).toBe(5);
  });
});
