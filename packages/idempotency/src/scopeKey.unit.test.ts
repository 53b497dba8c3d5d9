import fc from 'fast-check';
import { idempotencyProfiles } from './idempotencyProfiles.js';
import { advisoryLockKey, type KeyScope, scopeKeyOf } from './scopeKey.js';

const scope: KeyScope = {
  accountId: 'acc_1',
  apiKeyId: 'key_1',
  method: 'POST',
  route: '/v1/messages',
  key: 'k',
};

describe('the scope of a key', () => {
  it('is account + endpoint + key in the default profile', () => {
    expect(scopeKeyOf(idempotencyProfiles.default, scope)).toBe('acc_1|POST /v1/messages|k');
  });

  it('is account + key, across endpoints, for pulsewave and txtly', () => {
    expect(scopeKeyOf(idempotencyProfiles.pulsewave, scope)).toBe('acc_1|*|k');
    expect(scopeKeyOf(idempotencyProfiles.txtly, scope)).toBe('acc_1|*|k');
  });

  it('is API key + key for getmailer', () => {
    expect(scopeKeyOf(idempotencyProfiles.getmailer, scope)).toBe('key_1|*|k');
  });

  it('is organisation (account) + endpoint + key for truedy', () => {
    expect(scopeKeyOf(idempotencyProfiles.truedy, scope)).toBe('acc_1|POST /v1/messages|k');
  });

  it('never gives two different scopes the same text', () => {
    const owner = fc.stringMatching(/^acc_[0-9a-f]{1,4}$/);
    const arbitraryScope = fc.record({
      accountId: owner,
      apiKeyId: owner,
      method: fc.constantFrom('POST', 'PUT'),
      route: fc.constantFrom('/v1/messages', '/v1/messages/batch'),
      key: fc.string({ minLength: 1, maxLength: 8 }),
    });
    fc.assert(
      fc.property(arbitraryScope, arbitraryScope, (a, b) => {
        const same =
          a.accountId === b.accountId && a.method === b.method && a.route === b.route && a.key === b.key;
        return (
          (scopeKeyOf(idempotencyProfiles.default, a) === scopeKeyOf(idempotencyProfiles.default, b)) === same
        );
      }),
    );
  });
});

describe('the advisory lock key of a scope', () => {
  it('is a stable signed 64-bit integer', () => {
    const lockKey = advisoryLockKey('acc_1|*|k');
    expect(lockKey).toBe(advisoryLockKey('acc_1|*|k'));
    expect(BigInt(lockKey)).toBeGreaterThanOrEqual(-(2n ** 63n));
    expect(BigInt(lockKey)).toBeLessThan(2n ** 63n);
    expect(advisoryLockKey('acc_1|*|K')).not.toBe(lockKey);
  });
});
