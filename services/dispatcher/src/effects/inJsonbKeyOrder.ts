/**
 * A JSON value with its object keys in the order PostgreSQL's jsonb keeps them (shorter keys
 * first, then bytewise), as an effect's `request` reads back from its row. An effect claimed at
 * creation is called with the request in memory, a later attempt with the one read from the row:
 * both must serialise to the same bytes, or a provider that compares a repeated key's body
 * byte for byte would take a retry for another request.
 */
export function inJsonbKeyOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inJsonbKeyOrder);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([, item]) => item !== undefined);
  entries.sort(([a], [b]) => compareJsonbKeys(a, b));
  return Object.fromEntries(entries.map(([key, item]) => [key, inJsonbKeyOrder(item)]));
}

function compareJsonbKeys(a: string, b: string): number {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length - right.length || Buffer.compare(left, right);
}
