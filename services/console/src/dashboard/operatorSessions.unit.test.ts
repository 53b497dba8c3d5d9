import { createOperatorSessions } from './operatorSessions.js';

describe('operator sessions', () => {
  let now = 1_000_000;
  const sessions = createOperatorSessions({
    token: 'operator-token-0123456789',
    ttlMs: 60_000,
    now: () => now,
  });

  it('accepts the operator token only, whatever the length of what is given', () => {
    expect(sessions.isOperatorToken('operator-token-0123456789')).toBe(true);
    expect(sessions.isOperatorToken('operator-token-012345678')).toBe(false);
    expect(sessions.isOperatorToken('')).toBe(false);
    expect(sessions.isOperatorToken('ex_an-api-key')).toBe(false);
  });

  it('issues sessions that verify until they expire and that cannot be forged or extended', () => {
    const { value, maxAgeSeconds } = sessions.issue();
    expect(maxAgeSeconds).toBe(60);
    expect(value).not.toContain('operator-token');
    expect(sessions.verify(value)).toBe(true);
    const [version, expires, signature] = value.split('.');
    expect(sessions.verify(`${version}.${Number(expires) + 3_600_000}.${signature}`)).toBe(false);
    expect(sessions.verify(`${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(sessions.verify(undefined)).toBe(false);
    expect(sessions.verify('garbage')).toBe(false);
    now += 60_001;
    expect(sessions.verify(value)).toBe(false);
  });

  it('ends every session when the token changes', () => {
    const { value } = sessions.issue();
    const rotated = createOperatorSessions({
      token: 'another-operator-token-42',
      ttlMs: 60_000,
      now: () => now,
    });
    expect(rotated.verify(value)).toBe(false);
  });
});
