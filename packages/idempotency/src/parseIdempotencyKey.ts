import { isUtf8 } from 'node:buffer';
import type { IdempotencyProfile } from './idempotencyProfiles.js';

export type ParsedIdempotencyKey =
  | { kind: 'absent' }
  | { kind: 'key'; key: string }
  | { kind: 'invalid'; reason: string };

const charsets = {
  'printable-ascii': { pattern: /^[\x20-\x7e]+$/, description: 'printable ASCII characters' },
  alphanumeric: { pattern: /^[A-Za-z0-9_-]+$/, description: 'letters, digits, hyphens and underscores' },
  // Control characters never: PostgreSQL refuses \u0000, and the others cannot round-trip a header.
  any: { pattern: /^\P{Cc}+$/u, description: 'any characters except control characters' },
} as const;

/**
 * Reads the profile's key header from the raw header list (name, value, name, value...), where a
 * header sent twice is still two entries; Node's `request.headers` would join them with a comma
 * and turn two keys into one new key. Node hands header bytes over as Latin-1; they are read as
 * UTF-8 (invalid UTF-8 is refused), the same way a key in a URL path is decoded, so one key is one
 * string whichever way it came. Keys are case-sensitive and kept exactly as sent, except
 * that a profile accepting the IETF draft's quoted form reads `"abc"` as `abc`.
 */
export function parseIdempotencyKey(
  rawHeaders: readonly string[],
  profile: IdempotencyProfile,
): ParsedIdempotencyKey {
  const wanted = profile.header.toLowerCase();
  const values: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === wanted) values.push(rawHeaders[index + 1] ?? '');
  }
  if (values.length === 0) return { kind: 'absent' };
  if (values.length > 1) return { kind: 'invalid', reason: `${profile.header} was sent more than once` };
  const bytes = Buffer.from(values[0] ?? '', 'latin1');
  if (!isUtf8(bytes)) return { kind: 'invalid', reason: `${profile.header} is not valid UTF-8` };
  return parseIdempotencyKeyValue(bytes.toString('utf8'), profile);
}

/** Checks one key already decoded (from the header, or from a URL path) against the profile. */
export function parseIdempotencyKeyValue(value: string, profile: IdempotencyProfile): ParsedIdempotencyKey {
  let key = value;
  if (profile.acceptQuotedKey && key.startsWith('"')) {
    const unquoted = unquoteStructuredString(key);
    if (unquoted === undefined) {
      return {
        kind: 'invalid',
        reason: `${profile.header} starts with a quote but is not a valid quoted string`,
      };
    }
    key = unquoted;
  }
  if (key.length === 0) return { kind: 'invalid', reason: `${profile.header} must not be empty` };
  if (key.length > profile.keyMaxLength) {
    return {
      kind: 'invalid',
      reason: `${profile.header} must be at most ${profile.keyMaxLength} characters (got ${key.length})`,
    };
  }
  const charset = charsets[profile.keyCharset];
  if (!charset.pattern.test(key)) {
    return { kind: 'invalid', reason: `${profile.header} may only contain ${charset.description}` };
  }
  return { kind: 'key', key };
}

/** An RFC 8941 sf-string (`"..."` with `\"` and `\\` escapes, printable ASCII), or undefined. */
function unquoteStructuredString(value: string): string | undefined {
  if (value.length < 2 || !value.endsWith('"')) return undefined;
  let out = '';
  for (let index = 1; index < value.length - 1; index += 1) {
    const char = value[index] as string;
    if (char === '\\') {
      const next = value[index + 1];
      if ((next !== '"' && next !== '\\') || index + 1 >= value.length - 1) return undefined;
      out += next;
      index += 1;
    } else if (char === '"' || char < ' ' || char > '~') {
      return undefined;
    } else {
      out += char;
    }
  }
  return out;
}
