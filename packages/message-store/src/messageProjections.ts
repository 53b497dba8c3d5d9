import type { MessageStatus } from '@exactly/contracts';
import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { foldStatus } from './foldStatus.js';
import { updateProjections } from './projectionUpdate.js';

/** The part of a `messages` row that its event stream determines. */
export interface ProjectedMessage {
  id: string;
  accountId: string;
  channel: string;
  recipient: string;
  sender: string;
  messageKey: string;
  batchId: string | null;
  status: MessageStatus;
  version: number;
}

export interface ProjectionMismatch {
  id: string;
  /** The fields that differ, or `stream` when the stream itself is broken (missing, gap, no first event). */
  fields: string[];
  live: ProjectedMessage | undefined;
  rebuilt: ProjectedMessage | undefined;
}

export interface ProjectionComparison {
  /** Messages (or streams) looked at. */
  checked: number;
  mismatches: ProjectionMismatch[];
}

export interface ProjectionScope {
  /** Only these messages. */
  messageIds?: readonly string[];
  /** Only this account's messages (and streams whose first event names it). */
  accountId?: string;
  /** Messages read per query (default 1,000). */
  pageSize?: number;
}

interface EventRow {
  stream_id: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
}

const comparedFields = [
  'accountId',
  'channel',
  'recipient',
  'sender',
  'messageKey',
  'batchId',
  'status',
  'version',
] as const satisfies readonly (keyof ProjectedMessage)[];

/**
 * Folds one stream's events (oldest first) into the projection, with the same `statusAfter` rule
 * the live writers use. Returns undefined for a stream that does not start with `MessageAccepted`
 * or has a gap in its versions: such a stream has no valid projection.
 */
export function projectMessage(
  id: string,
  events: readonly { version: number; type: string; data: Record<string, unknown> }[],
): ProjectedMessage | undefined {
  const first = events[0];
  if (first?.type !== 'MessageAccepted' || first.version !== 1) return undefined;
  let status: MessageStatus | undefined;
  for (const [index, event] of events.entries()) {
    if (event.version !== index + 1) return undefined;
    status = foldStatus(status, event.type);
  }
  const data = first.data;
  return {
    id,
    accountId: String(data.accountId),
    channel: String(data.channel),
    recipient: String(data.to),
    sender: String(data.from),
    messageKey: String(data.idempotencyKey),
    batchId: typeof data.batchId === 'string' ? data.batchId : null,
    status: status ?? 'accepted',
    version: events.length,
  };
}

/**
 * Rebuilds message projections from `message_events` and compares them with the live `messages`
 * rows, page by page (read-only). A row without a stream, a stream without a row, and any field
 * the events determine that differs are reported.
 */
export async function compareMessageProjections(
  em: EntityManager,
  scope: ProjectionScope = {},
): Promise<ProjectionComparison> {
  const comparison: ProjectionComparison = { checked: 0, mismatches: [] };
  for await (const ids of pagesOfIds(em, scope)) {
    const [rebuilt, live] = await Promise.all([rebuildMany(em, ids), readLive(em, ids)]);
    for (const id of ids) {
      comparison.checked += 1;
      const mismatch = compareOne(id, live.get(id), rebuilt.get(id));
      if (mismatch) comparison.mismatches.push(mismatch);
    }
  }
  return comparison;
}

/**
 * Writes the rebuilt status and version over live rows that differ from their stream (the
 * repair after a bug or a manual edit). Rows whose stream is broken or missing are left alone
 * and reported. Run it inside a transaction if several pages must change together.
 */
export async function rebuildMessageProjections(
  em: EntityManager,
  scope: ProjectionScope = {},
): Promise<{ checked: number; repaired: string[]; unrepairable: ProjectionMismatch[] }> {
  const { checked, mismatches } = await compareMessageProjections(em, scope);
  const repairable = mismatches.filter(
    (mismatch) =>
      mismatch.live !== undefined &&
      mismatch.rebuilt !== undefined &&
      mismatch.fields.every((field) => field === 'status' || field === 'version'),
  );
  await updateProjections(
    em,
    repairable.flatMap((mismatch) =>
      mismatch.rebuilt === undefined
        ? []
        : [{ id: mismatch.id, status: mismatch.rebuilt.status, version: mismatch.rebuilt.version }],
    ),
  );
  return {
    checked,
    repaired: repairable.map((mismatch) => mismatch.id),
    unrepairable: mismatches.filter((mismatch) => !repairable.includes(mismatch)),
  };
}

function compareOne(
  id: string,
  live: ProjectedMessage | undefined,
  rebuilt: ProjectedMessage | undefined,
): ProjectionMismatch | undefined {
  if (live === undefined || rebuilt === undefined) return { id, fields: ['stream'], live, rebuilt };
  const fields = comparedFields.filter((field) => live[field] !== rebuilt[field]);
  return fields.length === 0 ? undefined : { id, fields, live, rebuilt };
}

async function* pagesOfIds(em: EntityManager, scope: ProjectionScope): AsyncGenerator<string[]> {
  const pageSize = scope.pageSize ?? 1_000;
  if (scope.messageIds) {
    const unique = [...new Set(scope.messageIds)].sort();
    for (let start = 0; start < unique.length; start += pageSize) yield unique.slice(start, start + pageSize);
    return;
  }
  let after = '';
  for (;;) {
    // Both sides, so a row without a stream and a stream without a row are both found. Keyset
    // paging over the two primary keys keeps each page an index range scan.
    const { rows } = await runSql<{ id: string }>(
      em,
      `SELECT id FROM (
         SELECT id FROM messages WHERE id > $1 AND ($3::text IS NULL OR account_id = $3)
         UNION
         SELECT stream_id FROM message_events
          WHERE stream_id > $1 AND version = 1 AND ($3::text IS NULL OR data->>'accountId' = $3)
       ) AS ids ORDER BY id LIMIT $2`,
      [after, pageSize, scope.accountId ?? null],
    );
    if (rows.length === 0) return;
    yield rows.map((row) => row.id);
    after = rows[rows.length - 1]?.id ?? after;
    if (rows.length < pageSize) return;
  }
}

async function rebuildMany(
  em: EntityManager,
  ids: readonly string[],
): Promise<Map<string, ProjectedMessage>> {
  const { rows } = await runSql<EventRow>(
    em,
    `SELECT stream_id, version, type, data FROM message_events
      WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, version`,
    [ids],
  );
  const byStream = new Map<string, EventRow[]>();
  for (const row of rows) {
    const events = byStream.get(row.stream_id) ?? [];
    events.push(row);
    byStream.set(row.stream_id, events);
  }
  const rebuilt = new Map<string, ProjectedMessage>();
  for (const [id, events] of byStream) {
    const projected = projectMessage(id, events);
    if (projected) rebuilt.set(id, projected);
  }
  return rebuilt;
}

async function readLive(em: EntityManager, ids: readonly string[]): Promise<Map<string, ProjectedMessage>> {
  const { rows } = await runSql<ProjectedMessage>(
    em,
    `SELECT id, account_id AS "accountId", channel, recipient, sender,
            message_key AS "messageKey", batch_id AS "batchId", status, version
       FROM messages WHERE id = ANY($1::text[])`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row]));
}
