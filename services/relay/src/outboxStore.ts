import { type MessageFailed, statusAfter } from '@exactly/contracts';
import {
  inTransaction,
  type MessageEventsAppend,
  type Orm,
  recordMessageEvents,
  runSql,
  type SqlStatement,
} from '@exactly/persistence';

/** An outbox row claimed for publishing, as the relay needs it. */
export interface ClaimedRow {
  id: string;
  topic: string;
  key: string;
  /** The payload as JSON text (PostgreSQL's rendering of the jsonb): sent as the record value. */
  payload: string;
  headers: unknown;
  shard: number;
  /** The lease epoch of the row's shard when it was claimed. */
  epoch: string;
  /** The claiming relay's batch number (its claim journal entry). */
  batch: number;
  /** When the row was inserted, in ms since the epoch. */
  createdAt: number;
}

export interface ClaimRequest {
  relayId: string;
  /** This claim's batch number (its journal entry). */
  batch: number;
  shards: readonly number[];
  /** Rows at most from one shard (the cheaper the smaller; see OutboxRelay). */
  perShard: number;
  limit: number;
  /** Rows this relay holds already (claimed, not yet marked). */
  exclude: readonly string[];
}

export interface OutboxStats {
  backlog: number;
  oldestUnpublishedAgeSeconds: number;
  setAside: number;
}

/**
 * Session settings the relay's connections need (`openOrm({ sessionSettings })`). No bitmap
 * scans: a claim must take each shard's rows by walking `outbox_unpublished_idx` in id order and
 * stop after `perShard`. An outbox is usually empty when autovacuum analyses it, and with those
 * statistics the planner prefers a bitmap scan that reads the whole backlog of every shard and
 * sorts it, on every claim: with 20,000 rows waiting, 27 ms of PostgreSQL per claim of 500
 * instead of 1.7 ms, and the drain slows down as the backlog grows. Every other statement here
 * is an index lookup either way.
 */
export const outboxSessionSettings = { enable_bitmapscan: 'off' } as const;

/**
 * The claim: $1 relay id, $2 batch number, $3 shards, $4 rows per shard, $5 limit, $6 ids to skip.
 * Exported for the test of its plan.
 */
export const claimStatement = `WITH picked AS (
     SELECT c.*, l.epoch
       FROM outbox_shard_leases l
      CROSS JOIN LATERAL (
            SELECT o.id, o.shard, o.topic, o.kafka_key, o.payload, o.headers, o.created_at
              FROM outbox o
             WHERE o.shard = l.shard AND o.published_at IS NULL AND o.id <> ALL($6::bigint[])
             ORDER BY o.id
             LIMIT $4) c
      WHERE l.shard = ANY($3::smallint[]) AND l.relay_id = $1 AND l.lease_until > now()
      ORDER BY c.id
      LIMIT $5),
   journal AS (
     INSERT INTO outbox_claims (relay_id, batch_no, ids)
     SELECT $1, $2, array_agg(id) FROM picked HAVING count(*) > 0)
   SELECT picked.id::text AS id, topic, kafka_key, payload::text AS payload, headers, shard,
          epoch::text AS epoch, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms
     FROM picked
    ORDER BY picked.id`;

// Every statement here is a single parameterised statement run through runSql in autocommit:
// these are the relay's hot path (claims of hundreds of rows, array parameters, CROSS JOIN
// LATERAL, data-modifying CTEs), which the ORM's unit of work does not express, and one round
// trip each keeps the relay close to the raw producer's speed.

/** The outbox as the relay reads and changes it. */
export class OutboxStore {
  private readonly orm: Orm;
  /** Where the `MessageFailed` of a command set aside is published. */
  private readonly eventsTopic: string;

  constructor(orm: Orm, eventsTopic: string) {
    this.orm = orm;
    this.eventsTopic = eventsTopic;
  }

  /**
   * Claims up to `limit` unpublished rows of the given shards, oldest first per shard, skipping
   * `exclude`. Fenced by the lease table: only shards this relay holds an unexpired lease on
   * yield rows, so no row locks are needed. The same statement journals the batch in
   * `outbox_claims`, committed before anything is sent, so whoever holds the shard after a
   * crash knows what may be on Kafka.
   */
  async claim(request: ClaimRequest): Promise<ClaimedRow[]> {
    const { rows } = await runSql<{
      id: string;
      topic: string;
      kafka_key: string;
      payload: string;
      headers: unknown;
      shard: number;
      epoch: string;
      created_ms: number;
    }>(this.orm.em.fork(), claimStatement, [
      request.relayId,
      request.batch,
      request.shards,
      request.perShard,
      request.limit,
      idArray(request.exclude),
    ]);
    return rows.map((row) => ({
      id: row.id,
      topic: row.topic,
      key: row.kafka_key,
      payload: row.payload,
      headers: row.headers,
      shard: Number(row.shard),
      epoch: row.epoch,
      batch: request.batch,
      createdAt: Number(row.created_ms),
    }));
  }

  /**
   * Marks rows Kafka acknowledged (or deletes them when there is no retention) and, in the same
   * statement, deletes the journal entries of the batches this completes.
   */
  async markPublished(
    ids: readonly string[],
    {
      deleteOnPublish,
      relayId,
      finished,
    }: { deleteOnPublish: boolean; relayId: string; finished: readonly number[] },
  ): Promise<void> {
    const mark = deleteOnPublish
      ? 'DELETE FROM outbox WHERE id = ANY($1::bigint[])'
      : 'UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL';
    await runSql(
      this.orm.em.fork(),
      `WITH finished AS (DELETE FROM outbox_claims WHERE relay_id = $2 AND batch_no = ANY($3::bigint[])) ${mark}`,
      [idArray(ids), relayId, finished],
    );
  }

  /** Removes a batch's journal entry, or only some of its rows (handed back unsent). */
  async forgetClaim(relayId: string, batch: number, ids?: readonly string[]): Promise<void> {
    await runSql(
      this.orm.em.fork(),
      ids === undefined
        ? 'DELETE FROM outbox_claims WHERE relay_id = $1 AND batch_no = $2'
        : `UPDATE outbox_claims SET ids = ARRAY(SELECT unnest(ids) EXCEPT SELECT unnest($3::bigint[]))
            WHERE relay_id = $1 AND batch_no = $2`,
      ids === undefined ? [relayId, batch] : [relayId, batch, idArray(ids)],
    );
  }

  /**
   * The rows of these shards that other relays claimed and left unpublished: they may be on Kafka
   * already, so publishing them again is a re-publish.
   */
  async orphanedClaims(relayId: string, shards: readonly number[]): Promise<string[]> {
    const { rows } = await runSql<{ id: string }>(
      this.orm.em.fork(),
      `SELECT o.id::text AS id
         FROM outbox_claims c
        CROSS JOIN unnest(c.ids) AS claimed(id)
         JOIN outbox o ON o.id = claimed.id AND o.published_at IS NULL
        WHERE c.relay_id <> $1 AND o.shard = ANY($2::smallint[])`,
      [relayId, shards],
    );
    return rows.map((row) => row.id);
  }

  /** Deletes other relays' journal entries whose rows are all published (or gone) by now. */
  async deleteSettledClaims(relayId: string): Promise<number> {
    const { rowCount } = await runSql(
      this.orm.em.fork(),
      `DELETE FROM outbox_claims c
        WHERE c.relay_id <> $1
          AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = ANY(c.ids) AND o.published_at IS NULL)`,
      [relayId],
    );
    return rowCount;
  }

  /**
   * Moves unpublishable rows to `outbox_set_aside` with their reason and, in the same
   * transaction, ends each command's message that is still `accepted` with `MessageFailed`
   * (reason `unpublishable: ...`), its projection and its events-topic row: a command that never
   * reaches Kafka would otherwise leave its message `accepted` for ever. Returns those messages.
   */
  async setAside(rows: readonly { id: string; reason: string }[]): Promise<number> {
    return inTransaction(this.orm, async (tx) => {
      const { rows: commands } = await runSql<{ message_id: string; reason: string }>(
        tx,
        `WITH reasons AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS r(id, reason)),
              moved AS (
                DELETE FROM outbox o USING reasons r WHERE o.id = r.id
                RETURNING o.id, o.topic, o.kafka_key, o.payload, o.headers, o.created_at, r.reason),
              kept AS (
                INSERT INTO outbox_set_aside (id, topic, kafka_key, payload, headers, created_at, reason)
                SELECT id, topic, kafka_key, payload, headers, created_at, reason FROM moved
                ON CONFLICT (id) DO NOTHING)
         SELECT payload->'data'->>'messageId' AS message_id, reason FROM moved
          WHERE payload->>'type' = 'SendMessage' AND payload->'data'->>'messageId' IS NOT NULL`,
        [rows.map((row) => row.id), rows.map((row) => row.reason)],
      );
      if (commands.length === 0) return 0;
      // Locked: the ingest API and the dispatcher append to these streams with expected versions too.
      const { rows: messages } = await runSql<{ id: string; account_id: string; version: number }>(
        tx,
        `SELECT id, account_id, version FROM messages
          WHERE id = ANY($1::text[]) AND status = 'accepted' ORDER BY id FOR UPDATE`,
        [commands.map((command) => command.message_id)],
      );
      if (messages.length === 0) return 0;
      const reasonOf = new Map(commands.map((command) => [command.message_id, command.reason]));
      const appends: MessageEventsAppend[] = messages.map((message) => ({
        streamId: message.id,
        accountId: message.account_id,
        expectedVersion: message.version,
        events: [unpublishable(reasonOf.get(message.id))],
      }));
      const projection: SqlStatement = {
        text: `UPDATE messages SET status = $2, version = version + 1, updated_at = now()
                WHERE id = ANY($1::text[])`,
        parameters: [messages.map((message) => message.id), statusAfter('accepted', 'MessageFailed')],
      };
      await recordMessageEvents(tx, appends, { topic: this.eventsTopic, also: [projection] });
      return messages.length;
    });
  }

  /** Deletes up to `limit` rows published more than `retentionMs` ago; returns how many. */
  async deletePublished(retentionMs: number, limit: number): Promise<number> {
    const { rowCount } = await runSql(
      this.orm.em.fork(),
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox
          WHERE published_at < now() - $1 * interval '1 millisecond'
          ORDER BY published_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED)`,
      [retentionMs, limit],
    );
    return rowCount;
  }

  /** The whole outbox's backlog, its oldest unpublished row's age and the rows set aside. */
  async stats(): Promise<OutboxStats> {
    // The oldest row per shard is the first of its (shard, id) index: 32 index probes, no scan.
    const { rows } = await runSql<{ backlog: string; oldest: number | null; set_aside: string }>(
      this.orm.em.fork(),
      `SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS backlog,
              (SELECT extract(epoch FROM now() - min(first.created_at))::float8
                 FROM generate_series(0, 31) AS s(shard)
                CROSS JOIN LATERAL (
                      SELECT created_at FROM outbox
                       WHERE shard = s.shard AND published_at IS NULL
                       ORDER BY id LIMIT 1) first) AS oldest,
              (SELECT count(*) FROM outbox_set_aside) AS set_aside`,
    );
    const row = rows[0];
    return {
      backlog: Number(row?.backlog ?? 0),
      oldestUnpublishedAgeSeconds: Math.max(0, row?.oldest ?? 0),
      setAside: Number(row?.set_aside ?? 0),
    };
  }

  async ping(): Promise<void> {
    await runSql(this.orm.em.fork(), 'SELECT 1');
  }
}

/**
 * A bigint[] parameter as PostgreSQL's array text, built with one join: node-postgres escapes
 * array elements one by one, which showed up in profiles for the thousand ids of each claim.
 * The ids are decimal strings from the database, so no quoting is needed.
 */
function idArray(ids: readonly string[]): string {
  return `{${ids.join(',')}}`;
}

/** The event of a message whose command could not be published: it is never sent. */
function unpublishable(reason: string | undefined): MessageFailed {
  return { type: 'MessageFailed', data: { reason: `unpublishable: ${reason ?? 'unknown'}`, attempts: 0 } };
}
