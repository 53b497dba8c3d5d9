import { idempotencyProfileNames, idempotencyProfiles, resolveProfile } from './idempotencyProfiles.js';

describe('the idempotency profiles', () => {
  it('are the default and one per seed', () => {
    expect(idempotencyProfileNames).toEqual(['default', 'pulsewave', 'txtly', 'getmailer', 'truedy']);
  });

  it('default follows the IETF draft and Stripe: 255 printable ASCII, required, per account and endpoint, 24 h, 422, 409 in flight', () => {
    expect(idempotencyProfiles.default).toMatchObject({
      header: 'Idempotency-Key',
      keyMaxLength: 255,
      keyCharset: 'printable-ascii',
      keyRequired: true,
      scope: 'account',
      perEndpoint: true,
      retentionMs: 86_400_000,
      mismatchStatus: 422,
      inFlight: 'conflict',
    });
  });

  it('takes individual overrides and validates them', () => {
    const profile = resolveProfile('pulsewave', { mismatchStatus: 409, retentionMs: undefined });
    expect(profile.mismatchStatus).toBe(409);
    expect(profile.retentionMs).toBe(86_400_000);
    expect(() => resolveProfile('default', { keyMaxLength: 0 })).toThrow();
  });
});
