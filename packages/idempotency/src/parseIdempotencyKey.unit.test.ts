import { idempotencyProfiles } from './idempotencyProfiles.js';
import { parseIdempotencyKey } from './parseIdempotencyKey.js';

const { default: standard, getmailer, txtly, truedy } = idempotencyProfiles;

describe('reading the idempotency key header', () => {
  it('finds the header whatever its case and keeps the key exactly as sent (keys are case-sensitive)', () => {
    expect(parseIdempotencyKey(['idempotency-KEY', 'Order-42'], standard)).toEqual({
      kind: 'key',
      key: 'Order-42',
    });
  });

  it('reports an absent header as absent', () => {
    expect(parseIdempotencyKey(['Content-Type', 'application/json'], standard)).toEqual({ kind: 'absent' });
  });

  it('refuses a header sent twice, even with the same value', () => {
    const parsed = parseIdempotencyKey(['Idempotency-Key', 'a', 'idempotency-key', 'a'], standard);
    expect(parsed).toEqual({ kind: 'invalid', reason: 'Idempotency-Key was sent more than once' });
  });

  it('refuses an empty key', () => {
    expect(parseIdempotencyKey(['Idempotency-Key', ''], standard).kind).toBe('invalid');
  });

  it('reads only the header of the profile (X-Idempotency-Key for truedy)', () => {
    expect(parseIdempotencyKey(['Idempotency-Key', 'a'], truedy)).toEqual({ kind: 'absent' });
    expect(parseIdempotencyKey(['X-Idempotency-Key', 'a'], truedy)).toEqual({ kind: 'key', key: 'a' });
  });

  describe('length', () => {
    it.each([
      ['default', standard, 255],
      ['txtly', txtly, 256],
      ['getmailer', getmailer, 255],
    ])('accepts %s keys of %#: up to the limit and refuses one more', (_name, profile, limit) => {
      expect(parseIdempotencyKey([profile.header, 'k'.repeat(limit)], profile).kind).toBe('key');
      const parsed = parseIdempotencyKey([profile.header, 'k'.repeat(limit + 1)], profile);
      expect(parsed).toEqual({
        kind: 'invalid',
        reason: expect.stringContaining(`at most ${limit} characters`),
      });
    });
  });

  describe('characters', () => {
    it('allows printable ASCII with spaces in the default profile, and refuses anything else', () => {
      expect(parseIdempotencyKey(['Idempotency-Key', 'a b~!{}'], standard).kind).toBe('key');
      expect(parseIdempotencyKey(['Idempotency-Key', 'caf\u00e9'], standard).kind).toBe('invalid');
    });

    it('allows only letters, digits, hyphens and underscores for getmailer', () => {
      expect(parseIdempotencyKey(['Idempotency-Key', 'order-confirmation_42'], getmailer).kind).toBe('key');
      for (const bad of ['order.42', 'order 42', 'order/42', 'order{id}']) {
        expect(parseIdempotencyKey(['Idempotency-Key', bad], getmailer).kind).toBe('invalid');
      }
    });

    it('allows any characters but control characters for txtly and truedy, read as UTF-8', () => {
      // Node hands the header's bytes over as Latin-1: C3 A9 is é in UTF-8.
      const utf8 = Buffer.from('caf\u00e9 / #1', 'utf8').toString('latin1');
      expect(parseIdempotencyKey(['Idempotency-Key', utf8], txtly)).toEqual({
        kind: 'key',
        key: 'caf\u00e9 / #1',
      });
      expect(parseIdempotencyKey(['X-Idempotency-Key', utf8], truedy)).toEqual({
        kind: 'key',
        key: 'caf\u00e9 / #1',
      });
      expect(parseIdempotencyKey(['Idempotency-Key', 'caf\u00e9'], txtly).kind).toBe('invalid');
      for (const control of ['a\u0000b', 'a\tb', 'a\u007fb']) {
        expect(parseIdempotencyKey(['Idempotency-Key', control], txtly).kind).toBe('invalid');
      }
    });
  });

  describe("the IETF draft's quoted form (default profile)", () => {
    it('reads "abc" as the key abc, with \\" and \\\\ escapes', () => {
      expect(parseIdempotencyKey(['Idempotency-Key', '"abc"'], standard)).toEqual({
        kind: 'key',
        key: 'abc',
      });
      expect(parseIdempotencyKey(['Idempotency-Key', '"a\\"b\\\\c"'], standard)).toEqual({
        kind: 'key',
        key: 'a"b\\c',
      });
    });

    it('refuses a broken quoted string', () => {
      for (const bad of ['"abc', '"a"b"', '"a\\b"', '"\\"', '""']) {
        expect(parseIdempotencyKey(['Idempotency-Key', bad], standard).kind).toBe('invalid');
      }
    });

    it('keeps the quotes as part of the key in profiles without the quoted form', () => {
      expect(parseIdempotencyKey(['Idempotency-Key', '"abc"'], txtly)).toEqual({ kind: 'key', key: '"abc"' });
    });
  });
});
