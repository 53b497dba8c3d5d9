// One owner per table: only the owning package's non-test code writes `messages` and
// `message_events` (@exactly/message-store) or the outbox tables (@exactly/outbox); everything
// else calls their functions. The schema itself is made by persistence's migrations.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const owners = [
  { owner: 'packages/message-store/', tables: /^(messages|message_events)$/i },
  { owner: 'packages/outbox/', tables: /^outbox(_[a-z_]+)?$/i },
];

/** A raw SQL write, or an ORM write through the tables' entities. */
const sqlWrite = /\b(insert\s+into|update|delete\s+from)\s+([a-z_]+)\b/gi;
const ormWrite =
  /\b(?:create|insert|insertMany|upsert|upsertMany|nativeInsert|nativeUpdate|nativeDelete)\(\s*(Message|MessageEvent|OutboxRecord)\b/g;
const entityTable: Record<string, string> = {
  Message: 'messages',
  MessageEvent: 'message_events',
  OutboxRecord: 'outbox',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')
      ? [path]
      : [];
  });
}

/** Every non-test source file of the packages and services (test kits and migrations aside). */
function nonTestSources(): string[] {
  return ['packages', 'services'].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !(group === 'packages' && entry.name === 'testkit'))
      .flatMap((entry) => {
        const src = join(root, group, entry.name, 'src');
        try {
          return sourceFiles(src);
        } catch {
          return [];
        }
      })
      .map((path) => relative(root, path))
      .filter((path) => !path.startsWith('packages/persistence/src/migrations/')),
  );
}

/** `file:line writes table` for each write of an owned table outside its owner. */
function foreignWrites(): string[] {
  const found: string[] = [];
  for (const file of nonTestSources()) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    lines.forEach((line, index) => {
      const tables = [
        ...[...line.matchAll(sqlWrite)].map((match) => match[2] ?? ''),
        ...[...line.matchAll(ormWrite)].map((match) => entityTable[match[1] ?? ''] ?? ''),
      ];
      for (const table of tables) {
        const rule = owners.find((candidate) => candidate.tables.test(table));
        if (rule && !file.startsWith(rule.owner)) found.push(`${file}:${index + 1} writes ${table}`);
      }
    });
  }
  return found;
}

describe('the tables with one owner', () => {
  it('finds the source files it checks, the owners among them', () => {
    const files = nonTestSources();
    expect(files).toEqual(
      expect.arrayContaining([
        'packages/message-store/src/projectionUpdate.ts',
        'packages/outbox/src/enqueueOutbox.ts',
        'services/relay/src/outboxStore.ts',
      ]),
    );
  });

  it('are written by no non-test code outside their owning package', () => {
    expect(foreignWrites()).toEqual([]);
  });
});
