import { createHash, randomBytes } from 'node:crypto';

/** Every API key starts with this, so a leaked key is easy to recognise (and to scan for). */
export const apiKeyPrefix = 'ex_';

/** The SHA-256 of an API key: the only form in which a key is stored. */
export function hashApiKey(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** A new random API key (`ex_` + 32 random bytes in base64url), its hash and its display prefix. */
export function generateApiKey(): { secret: string; hash: Buffer; displayPrefix: string } {
  const secret = apiKeyPrefix + randomBytes(32).toString('base64url');
  return { secret, hash: hashApiKey(secret), displayPrefix: secret.slice(0, 10) };
}
