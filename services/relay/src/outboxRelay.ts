import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '@exactly/errors';
import type { Logger } from '@exactly/observability';
import type { ClaimedRow } from '@exactly/outbox';
import type { Message } from 'kafkajs';
import { classifySendError, type KafkaPublisher } from './kafkaPublisher.js';
import { reasonCode, toKafkaMessage } from './kafkaRecord.js';
import type { OutboxStore } from './outboxStore.js';
import type { OutboxWakeup } from './outboxWakeup.js';
import { splitByLane } from './producerLanes.js';
import { startPublishSpans } from './publishSpans.js';
import type { RelayMetrics } from './relayMetrics.js';
import { type ShardLeases, shardCount } from './shardLeases.js';

export interface OutboxRelayOptions {
  relayId: string;
  store: OutboxStore;
  leases: ShardLeases;
  /** One idempotent producer per lane (`RELAY_PRODUCERS`): a batch's lanes are sent at once. */
  publishers: readonly KafkaPublisher[];
  wakeup: OutboxWakeup;
  metrics: RelayMetrics;
  logger: Logger;
  /** `max.message.bytes` of each topic the relay publishes to; rows for other topics are set aside. */
  maxMessageBytes: ReadonlyMap<string, number>;
  batchSize: number;
  pollMinMs: number;
  pollMaxMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Published rows are deleted at once instead of marked when there is no retention. */
  deleteOnPublish: boolean;
}

interface Sendable {
  row: ClaimedRow;
  topic: string;
  message: Message;
  bytes: number;
}

interface BatchState {
  /** Rows not yet acknowledged, set aside or handed back. */
  unresolved: number;
  /** Rows not yet marked, set aside or handed back (their statement has not committed). */
  pending: number;
  /** Some rows were handed back after a failed send: the journal entry must stay for the next holder. */
  keepJournal: boolean;
  /** The statement that marked the batch's last rows deleted its journal entry too. */
  journalGone: boolean;
}

/**
 * The publishing loop. Claims a batch of unpublished rows of the shards this relay leases while
 * the batch before is being sent, and marks each batch published (in the background, on another
 * connection) once Kafka acknowledged it, so PostgreSQL and the broker work side by side.
 * Batches are sent strictly one after another and a batch only once the one before it was
 * acknowledged in full, so rows of one key reach Kafka in order; within a batch, each producer
 * lane (a fixed set of shards, see splitByLane) sends its rows at the same time as the others. A failed send is retried with
 * capped backoff for as long as it takes; rows are never skipped.
 */
export class OutboxRelay {
  private readonly options: OutboxRelayOptions;
  /** Rows claimed and not yet marked (or set aside or handed back): excluded from further claims. */
  private readonly inFlight = new Map<string, number>();
  private readonly inFlightPerShard = new Int32Array(shardCount);
  /** Per shard with rows in flight, the highest id among them (a claim in a backlog starts past it). */
  private readonly highestInFlight = new Map<number, bigint>();
  private readonly batches = new Map<number, BatchState>();
  /** Rows other relays claimed and did not mark (from their journal): publishing them is a re-publish. */
  private readonly orphans = new Set<string>();
  private readonly background = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  /**
   * Per shard, the first batch claimed after rows of the shard were handed back for its lease:
   * rows of earlier batches still in hand come after the handed-back ones and must not go first.
   */
  private readonly handedBackBefore = new Map<number, number>();
  private nextBatch = 1;
  private loop: Promise<void> | undefined;

  constructor(options: OutboxRelayOptions) {
    this.options = options;
  }

  /** Whether rows of `shard` are claimed and not yet marked (its lease must not be handed over). */
  readonly hasInFlight = (shard: number): boolean => (this.inFlightPerShard[shard] ?? 0) > 0;

  /** Before rows of newly leased shards are claimed: learn what their previous holders left. */
  readonly takeOver = async (shards: number[]): Promise<void> => {
    const orphans = await this.options.store.orphanedClaims(this.options.relayId, shards);
    for (const id of orphans) this.orphans.add(id);
    if (orphans.length > 0) {
      this.options.logger.info(
        { shards, rows: orphans.length },
        'rows claimed by a previous holder and not marked will be published again',
      );
    }
  };

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops claiming, finishes (or hands back) the batch in hand, and marks what was acknowledged. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.options.wakeup.notify();
    await this.loop;
    while (this.background.size > 0) await Promise.all(this.background);
  }

  /** Deletes journal entries left by other relays once their rows are all published. */
  async deleteSettledClaims(): Promise<number> {
    return this.options.store.deleteSettledClaims(this.options.relayId);
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    const { store, leases, wakeup, metrics, logger, batchSize, pollMinMs, pollMaxMs } = this.options;
    let sending: Promise<void> = Promise.resolve();
    let idleWait = pollMinMs;
    let failures = 0;
    let busyShards = 0;
    let lastClaimFull = false;
    let lastClaimFromStart = 0;
    while (!this.stopped) {
      // Only shards whose rows may be sent (see maySend): others would be handed back at once.
      const shards = leases.claimable(leases.ttlMs * sendMarginOfTtl).map((lease) => lease.shard);
      if (shards.length === 0) {
        await wakeup.wait(pollMaxMs);
        continue;
      }
      // Rows per shard: about the batch spread over the shards that had rows last time. Reading
      // `batchSize` candidates from every shard to keep only `batchSize` would cost 10x more.
      const perShard = Math.ceil(
        batchSize / Math.max(1, Math.min(shards.length, busyShards || shards.length)),
      );
      // In a backlog (the last claim was full) a claim starts each shard past the rows in hand, so
      // PostgreSQL does not visit each of them again; one from the start of every shard at least
      // every `claimFromStartEveryMs` takes the rows that committed late below them.
      const fromStart = !lastClaimFull || performance.now() - lastClaimFromStart >= claimFromStartEveryMs;
      if (fromStart) lastClaimFromStart = performance.now();
      const batch = this.nextBatch++;
      let rows: ClaimedRow[];
      try {
        rows = await store.claim({
          relayId: this.options.relayId,
          batch,
          shards,
          perShard,
          limit: batchSize,
          exclude: [...this.inFlight.keys()],
          after: fromStart ? undefined : this.claimFloors(shards),
        });
        failures = 0;
      } catch (error) {
        metrics.errors.inc({ kind: 'database' });
        logger.error({ err: error }, 'claiming outbox rows failed; retrying');
        await this.pause(failures++);
        continue;
      }
      busyShards = new Set(rows.map((row) => row.shard)).size;
      lastClaimFull = rows.length >= batchSize;
      if (rows.length === 0) {
        // Adaptive poll: at once after a notification, otherwise backing off to pollMaxMs.
        await wakeup.wait(idleWait);
        idleWait = Math.min(idleWait * 2, pollMaxMs);
        continue;
      }
      idleWait = pollMinMs;
      metrics.batchSize.observe(rows.length);
      this.batches.set(batch, {
        unresolved: rows.length,
        pending: rows.length,
        keepJournal: false,
        journalGone: false,
      });
      for (const row of rows) {
        this.inFlight.set(row.id, row.shard);
        this.inFlightPerShard[row.shard] = (this.inFlightPerShard[row.shard] ?? 0) + 1;
        const id = BigInt(row.id);
        if ((this.highestInFlight.get(row.shard) ?? 0n) < id) this.highestInFlight.set(row.shard, id);
      }
      const again = rows.filter((row) => this.orphans.delete(row.id)).length;
      if (again > 0) {
        metrics.republished.inc({ reason: 'earlier_attempt' }, again);
        logger.info({ rows: again }, 'publishing rows again that a previous holder claimed and did not mark');
      }
      await sending;
      if (this.stopped) {
        this.handBack(rows, false);
        break;
      }
      // Each lane (a fixed set of shards) has a producer of its own, so the lanes' requests are
      // in flight together; the next batch still waits for every lane of this one.
      const lanes = splitByLane(rows, this.options.publishers.length);
      sending = Promise.all([...lanes].map(([lane, laneRows]) => this.publish(laneRows, lane))).then(
        () => {},
      );
    }
    await sending;
  }

  /**
   * Per shard with rows in hand, the highest of their ids, for a claim to start after. Not for a
   * shard whose rows were ever handed back: rows of it below the ones in hand may be due first.
   */
  private claimFloors(shards: readonly number[]): Map<number, string> {
    const floors = new Map<number, string>();
    for (const shard of shards) {
      const highest = this.highestInFlight.get(shard);
      if (highest !== undefined && !this.handedBackBefore.has(shard)) floors.set(shard, highest.toString());
    }
    return floors;
  }

  /** Publishes a claimed batch, retrying until every row is acknowledged, set aside or handed back. */
  private async publish(rows: ClaimedRow[], lane: number): Promise<void> {
    const { metrics, logger } = this.options;
    let remaining = rows;
    let failures = 0;
    while (remaining.length > 0) {
      // A shard whose lease lapsed, moved or is about to lapse belongs to its next holder: leave
      // its rows alone (and those behind rows of it handed back earlier).
      const lost = remaining.filter((row) => !this.maySend(row));
      if (lost.length > 0) {
        logger.warn(
          { rows: lost.length },
          'lease lost (or about to lapse) before publishing; leaving the rows to the next holder',
        );
        this.handBack(lost, failures > 0);
        remaining = remaining.filter((row) => !lost.includes(row));
        continue;
      }
      if (failures > 0 && this.stopped) {
        this.handBack(remaining, true);
        return;
      }
      // A throw here would be a bug: keep every row (a duplicate beats a lost row) and retry.
      const outcome = await this.sendInOrder(remaining, failures > 0, lane).catch((error: unknown) => ({
        left: remaining,
        error,
      }));
      remaining = outcome.left;
      if (outcome.error !== undefined) {
        metrics.errors.inc({ kind: 'kafka' });
        logger.error(
          { err: outcome.error, rows: remaining.length, attempt: failures + 1 },
          'publishing to Kafka failed; retrying with backoff',
        );
        await this.pause(failures++);
      }
    }
  }

  /**
   * Sends the rows in order, in chunks no larger than the smallest `max.message.bytes` among
   * their topics. Rows that can never be records are set aside first. A chunk the broker refuses
   * for its records is split in halves (in order) down to the single row, which is set aside.
   * Stops at a transient failure and returns the rows not yet acknowledged with the error.
   */
  private async sendInOrder(
    rows: ClaimedRow[],
    isRetry: boolean,
    lane: number,
  ): Promise<{ left: ClaimedRow[]; error?: unknown }> {
    const { maxMessageBytes, metrics } = this.options;
    const publisher = this.publisherOf(lane);
    const sendable: Sendable[] = [];
    const poison: { row: ClaimedRow; reason: string }[] = [];
    for (const row of rows) {
      const check = toKafkaMessage(row, maxMessageBytes.get(row.topic));
      if (check.ok) sendable.push({ row, topic: row.topic, message: check.message, bytes: check.bytes });
      else poison.push({ row, reason: check.reason });
    }
    if (poison.length > 0) this.setAside(poison);

    const queue = chunkByBytes(sendable, (topic) => maxMessageBytes.get(topic) ?? 0);
    let retrying = isRetry;
    while (queue.length > 0) {
      const chunk = queue[0] as Sendable[];
      // Fenced per chunk: a broker that stalled an earlier chunk may have carried this batch past
      // the lease; the rest goes back to publish(), which leaves it to the next holder.
      if (!chunk.every(({ row }) => this.maySend(row))) return { left: queue.flat().map((item) => item.row) };
      if (retrying) metrics.republished.inc({ reason: 'send_retry' }, chunk.length);
      try {
        await this.sendFenced(chunk, publisher);
      } catch (error) {
        const failure = classifySendError(error);
        if (failure.kind !== 'record') return { left: queue.flat().map((item) => item.row), error };
        // The partitions of this chunk that the broker accepted get their rows again (the failed
        // send retired its producer, so they are written, not taken for repeats): counted above.
        retrying = true;
        if (chunk.length === 1) {
          queue.shift();
          this.setAside([{ row: (chunk[0] as Sendable).row, reason: `rejected_by_broker: ${failure.type}` }]);
        } else {
          const half = Math.ceil(chunk.length / 2);
          queue.splice(0, 1, chunk.slice(0, half), chunk.slice(half));
        }
        continue;
      }
      queue.shift();
      this.acknowledged(chunk);
      retrying = false;
    }
    return { left: [] };
  }

  private publisherOf(lane: number): KafkaPublisher {
    return this.options.publishers[lane] as KafkaPublisher;
  }

  /**
   * Whether a row may be sent now: its shard's lease is ours under the row's epoch for at least
   * a quarter of the TTL more (the margin a send gets before the lease may lapse), and no row of
   * its shard claimed later was handed back for the lease.
   */
  private maySend(row: ClaimedRow): boolean {
    const { leases } = this.options;
    const before = this.handedBackBefore.get(row.shard);
    if (before !== undefined && row.batch < before) return false;
    return leases.holds(row.shard, row.epoch, leases.ttlMs * sendMarginOfTtl);
  }

  /**
   * Sends a chunk, giving it up once a lease of its rows may have lapsed (checked every 50 ms):
   * the publisher then resets its connections, so a request the broker has not yet received
   * never lands after the next holder's records.
   */
  private async sendFenced(chunk: readonly Sendable[], publisher: KafkaPublisher): Promise<void> {
    const { leases } = this.options;
    const fence = new AbortController();
    const watch = setInterval(() => {
      if (!chunk.every(({ row }) => leases.holds(row.shard, row.epoch))) fence.abort();
    }, fenceCheckMs);
    const spans = startPublishSpans(chunk);
    try {
      await publisher.send(spans.chunk, fence.signal);
      spans.end();
    } catch (error) {
      spans.end(error);
      throw error;
    } finally {
      clearInterval(watch);
    }
  }

  /** Kafka holds these rows now: count them and mark them (with the journal of the batches they complete). */
  private acknowledged(chunk: readonly Sendable[]): void {
    const { metrics, store, deleteOnPublish, relayId } = this.options;
    const now = Date.now();
    const perTopic = new Map<string, number>();
    const finished: number[] = [];
    for (const { row, topic } of chunk) {
      perTopic.set(topic, (perTopic.get(topic) ?? 0) + 1);
      metrics.publishLatency.observe((now - row.createdAt) / 1_000);
      const batch = this.batches.get(row.batch);
      if (batch && --batch.unresolved === 0 && !batch.keepJournal) {
        batch.journalGone = true;
        finished.push(row.batch);
      }
    }
    for (const [topic, count] of perTopic) metrics.published.inc({ topic }, count);
    const rows = chunk.map((item) => item.row);
    this.inBackground('marking published rows', async () => {
      await store.markPublished(
        rows.map((row) => row.id),
        { deleteOnPublish, relayId, finished },
      );
      this.settle(rows, false);
    });
  }

  private setAside(rows: readonly { row: ClaimedRow; reason: string }[]): void {
    const { store, metrics, logger } = this.options;
    for (const { row, reason } of rows) {
      this.resolve(row);
      metrics.setAsideTotal.inc({ reason: reasonCode(reason) });
      logger.warn({ outboxId: row.id, topic: row.topic, reason }, 'set aside an unpublishable outbox row');
    }
    this.inBackground('setting rows aside', async () => {
      const failed = await store.setAside(rows.map(({ row, reason }) => ({ id: row.id, reason })));
      if (failed > 0) {
        metrics.messagesFailed.inc({ reason: 'unpublishable' }, failed);
        logger.warn({ messages: failed }, 'messages failed: their commands cannot be published');
      }
      this.settle(
        rows.map(({ row }) => row),
        false,
      );
    });
  }

  /**
   * Leaves claimed rows unpublished for the shard's holder. The journal keeps rows of a failed
   * send (they may be on Kafka, so the next publish is a re-publish) and forgets rows never sent.
   */
  private handBack(rows: readonly ClaimedRow[], maybeSent: boolean): void {
    for (const row of rows) {
      this.resolve(row);
      this.handedBackBefore.set(row.shard, this.nextBatch);
    }
    if (!maybeSent) {
      for (const batch of new Set(rows.map((row) => row.batch))) {
        const ids = rows.filter((row) => row.batch === batch).map((row) => row.id);
        // Best effort: a journal entry left behind only makes a later publish count as a re-publish.
        this.inBackground(
          'forgetting a claim',
          () => this.options.store.forgetClaim(this.options.relayId, batch, ids),
          1,
        );
      }
    }
    this.settle(rows, maybeSent);
  }

  private resolve(row: ClaimedRow): void {
    const batch = this.batches.get(row.batch);
    if (batch) batch.unresolved -= 1;
  }

  /** Rows are done with (marked, set aside or handed back); a finished batch leaves the journal. */
  private settle(rows: readonly ClaimedRow[], keepJournal: boolean): void {
    for (const row of rows) {
      if (!this.inFlight.delete(row.id)) continue;
      this.inFlightPerShard[row.shard] = (this.inFlightPerShard[row.shard] ?? 1) - 1;
      if (this.inFlightPerShard[row.shard] === 0) this.highestInFlight.delete(row.shard);
      const batch = this.batches.get(row.batch);
      if (!batch) continue;
      batch.pending -= 1;
      batch.keepJournal ||= keepJournal;
      if (batch.pending === 0) {
        this.batches.delete(row.batch);
        if (!batch.keepJournal && !batch.journalGone) {
          // Best effort: a journal entry left behind only makes a later publish count as a re-publish.
          this.inBackground(
            'forgetting a claim',
            () => this.options.store.forgetClaim(this.options.relayId, row.batch),
            1,
          );
        }
      }
    }
  }

  /** Runs a database write until it succeeds (or `attempts` failed), off the loop. */
  private inBackground(what: string, write: () => Promise<void>, attempts = Number.POSITIVE_INFINITY): void {
    const { metrics, logger } = this.options;
    const task = (async () => {
      for (let failures = 0; failures < attempts; failures++) {
        try {
          await write();
          return;
        } catch (error) {
          metrics.errors.inc({ kind: 'database' });
          logger.error({ err: error }, `${what} failed; retrying`);
          if (this.stopped && failures >= 3) return;
          await sleep(
            backoffDelay(failures, {
              initialDelayMs: this.options.retryMinMs,
              maxDelayMs: this.options.retryMaxMs,
              jitter: 'equal',
            }),
          );
        }
      }
    })();
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  private async pause(failures: number): Promise<void> {
    const delay = backoffDelay(failures, {
      initialDelayMs: this.options.retryMinMs,
      maxDelayMs: this.options.retryMaxMs,
      jitter: 'equal',
    });
    await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => {});
  }
}

/** A chunk is sent only while its leases have at least this share of the TTL left. */
const sendMarginOfTtl = 0.25;
const fenceCheckMs = 50;
/** In a backlog, the longest a row that committed below the rows in hand waits for its claim. */
const claimFromStartEveryMs = 250;

/** Splits rows, in order, into chunks whose byte total stays within the smallest topic limit in the chunk. */
export function chunkByBytes<T extends { topic: string; bytes: number }>(
  items: readonly T[],
  limitOf: (topic: string) => number,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  let limit = Number.POSITIVE_INFINITY;
  for (const item of items) {
    const nextLimit = Math.min(limit, limitOf(item.topic));
    if (current.length > 0 && bytes + item.bytes > nextLimit) {
      chunks.push(current);
      current = [];
      bytes = 0;
      limit = limitOf(item.topic);
    } else {
      limit = nextLimit;
    }
    current.push(item);
    bytes += item.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
