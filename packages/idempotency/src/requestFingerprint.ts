import { createHash } from 'node:crypto';
import { canonicalJson } from '@exactly/contracts';

/**
 * SHA-256 over `METHOD`, a newline, the route template, a newline, and the RFC 8785 canonical
 * JSON of the parsed body (`null` when there is none). Key order and insignificant whitespace
 * never change it; any change of a value, of the endpoint or of the method does.
 */
export function requestFingerprint(method: string, route: string, body: unknown): Buffer {
  return createHash('sha256')
    .update(`${method.toUpperCase()}\n${route}\n${canonicalJson(body ?? null)}`, 'utf8')
    .digest();
}
