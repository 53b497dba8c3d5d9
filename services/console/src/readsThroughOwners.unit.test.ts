import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The console reads the pipeline through @exactly/operations (and the packages that own the
// tables), never with SQL of its own on another service's tables.
const source = fileURLToPath(new URL('.', import.meta.url));
const tables = [
  'messages',
  'message_events',
  'outbox',
  'outbox_set_aside',
  'outbox_relays',
  'outbox_shard_leases',
  'inbox',
  'effects',
  'effect_attempts',
  'dead_letters',
  'dead_letter_redrives',
  'consumer_offsets',
  'idempotency_records',
  'accounts',
  'api_keys',
  'scheduled_sends',
];
// SQL naming a table, or a table named for SQL built elsewhere (`table: 'dead_letters'`).
const sqlOnTable = new RegExp(
  `\\b(?:(?:FROM|JOIN|INTO|UPDATE|TABLE)\\s+"?|table:\\s*')(${tables.join('|')})\\b`,
  'gi',
);

function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : codeFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe("the console's code", () => {
  it('runs no SQL on the pipeline’s tables (it calls their owners’ read functions)', () => {
    const found = codeFiles(process.env.CONSOLE_SOURCE_DIR ?? source).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(sqlOnTable)].map((match) => `${file}: ${match[0]}`),
    );
    expect(found).toEqual([]);
  });

  it('would see such SQL (the check can fail)', () => {
    expect('SELECT id FROM messages WHERE id = $1'.match(sqlOnTable)).toEqual(['FROM messages']);
    expect('select 1 from dead_letters d'.match(sqlOnTable)).toEqual(['from dead_letters']);
    expect("{ table: 'message_events', position: 'global_position' }".match(sqlOnTable)).toEqual([
      "table: 'message_events",
    ]);
  });
});
