import { randomBytes } from 'node:crypto';

const header = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C `traceparent` for the work a request starts: the caller's trace continues (same trace
 * id and flags) with a span id of our own; without a valid one, a new trace begins.
 */
export function traceparentFor(incoming: string | string[] | undefined): string {
  const match = typeof incoming === 'string' ? header.exec(incoming.trim()) : null;
  const traceId = match?.[1];
  const valid = traceId !== undefined && !/^0+$/.test(traceId) && !/^0+$/.test(match?.[2] ?? '0');
  const spanId = randomBytes(8).toString('hex');
  return valid
    ? `00-${traceId}-${spanId}-${match?.[3]}`
    : `00-${randomBytes(16).toString('hex')}-${spanId}-01`;
}
