// One owner per table: only the owning package's non-test code writes `messages` and
// `message_events` (@exactly/message-store) or the outbox tables (@exactly/outbox); everything
// else calls their functions. The templates and their versions: @exactly/template-store. The schema itself is made by persistence's migrations.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const owners = [
  { owner: 'packages/message-store/', tables: /^(messages|message_events|scheduled_sends)$/i },
  { owner: 'packages/outbox/', tables: /^outbox(_[a-z_]+)?$/i },
  { owner: 'packages/template-store/', tables: /^(templates|template_versions)$/i },
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

/** The owned tables a source text writes, with the line of each write. */
function writesIn(text: string): { line: number; table: string }[] {
  const writes = [
    ...[...text.matchAll(sqlWrite)].map((match) => ({ at: match.index, table: match[2] ?? '' })),
    ...[...text.matchAll(ormWrite)].map((match) => ({
      at: match.index,
      table: entityTable[match[1] ?? ''] ?? '',
    })),
  ];
  return writes
    .filter(({ table }) => owners.some((rule) => rule.tables.test(table)))
    .map(({ at, table }) => ({ line: text.slice(0, at).split('\n').length, table }));
}

/** `file:line writes table` for each write of an owned table outside its owner. */
function foreignWrites(): string[] {
  return nonTestSources().flatMap((file) =>
    writesIn(readFileSync(join(root, file), 'utf8'))
      .filter(({ table }) => !owners.some((rule) => rule.tables.test(table) && file.startsWith(rule.owner)))
      .map(({ line, table }) => `${file}:${line} writes ${table}`),
  );
}

describe('the tables with one owner', () => {
  it('finds the source files it checks, the owners among them', () => {
    const files = nonTestSources();
    expect(files).toEqual(
      expect.arrayContaining([
        'packages/message-store/src/projectionUpdate.ts',
        'packages/outbox/src/enqueueOutbox.ts',
        'services/relay/src/outboxStore.ts',
        'packages/template-store/src/writeTemplates.ts',
      ]),
    );
  });

  it('recognises writes split over lines, in lower case, and through the entities', () => {
    const text = [
      'const a = `UPDATE messages SET status = $1`;',
      "const b = 'insert into',",
      '  c = `insert into\n   outbox_set_aside (id) VALUES ($1)`;',
      'em.create(MessageEvent, {});',
      'const d = `UPDATE effects SET state = $1`; // not an owned table',
      'const e = `SELECT * FROM messages`;',
      'const f = `INSERT INTO template_versions (template_id) VALUES ($1)`;',
    ].join('\n');
    expect(writesIn(text)).toEqual([
      { line: 1, table: 'messages' },
      { line: 3, table: 'outbox_set_aside' },
      { line: 8, table: 'template_versions' },
      { line: 5, table: 'message_events' },
    ]);
  });

  it('are written by no non-test code outside their owning package', () => {
    expect(foreignWrites()).toEqual([]);
  });
});
