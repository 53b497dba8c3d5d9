import canonicalize from 'canonicalize';

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: keys sorted, no insignificant
 * whitespace, numbers in their shortest form. Two bodies that differ only in key order or
 * spacing have the same canonical text, so their fingerprints match.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}
