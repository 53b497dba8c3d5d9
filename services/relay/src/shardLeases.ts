import type { Logger } from '@exactly/observability';
import {
  beatRelayHeartbeat,
  forgetDeadRelays,
  releaseShardLeases,
  removeRelayHeartbeat,
  renewShardLeases,
  takeFreeShardLeases,
} from '@exactly/outbox';
import type { Orm } from '@exactly/persistence';

/** The outbox's shard count: its generated `shard` column is a hash of the Kafka key mod 32. */
export const shardCount = 32;

export interface HeldLease {
  shard: number;
  epoch: string;
  /** Local monotonic time (ms) until which this relay may still publish the shard. */
  validUntil: number;
}

export interface ShardLeasesOptions {
  orm: Orm;
  relayId: string;
  ttlMs: number;
  logger: Logger;
  /** A monotonic clock in ms (performance.now by default). */
  now?: () => number;
  /** Runs when shards are taken, before any row of them can be claimed. */
  onTakeOver?: (shards: number[]) => Promise<void>;
}

/**
 * The shards this relay publishes. Each shard has one holder at a time (a row of
 * `outbox_shard_leases`); every relay heartbeats, renews what it holds, gives back shards above
 * its fair share (ceil(32 / live relays)) once nothing of theirs is in flight, and takes free or
 * expired shards up to that share. A lease is trusted locally only until 80% of its TTL measured
 * from before the renewal was sent, so a relay stops publishing a shard before anyone else may
 * take it.
 */
export class ShardLeases {
  private readonly held = new Map<number, HeldLease>();
  private readonly releasing = new Set<number>();
  private readonly options: ShardLeasesOptions;
  private readonly now: () => number;
  private chain: Promise<unknown> = Promise.resolve();
  private fairShare = shardCount;

  constructor(options: ShardLeasesOptions) {
    this.options = options;
    this.now = options.now ?? (() => performance.now());
  }

  /** Shards to claim rows from: held, valid (for `marginMs` more), and not being handed back. */
  claimable(marginMs = 0): HeldLease[] {
    const now = this.now();
    return [...this.held.values()].filter(
      (lease) => lease.validUntil - marginMs > now && !this.releasing.has(lease.shard),
    );
  }

  /** Whether rows claimed under `epoch` may still be published now (and for `marginMs` more). */
  holds(shard: number, epoch: string, marginMs = 0): boolean {
    const lease = this.held.get(shard);
    return lease !== undefined && lease.epoch === epoch && lease.validUntil - marginMs > this.now();
  }

  /** The TTL the leases are taken with. */
  get ttlMs(): number {
    return this.options.ttlMs;
  }

  get heldShards(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /**
   * One round of heartbeat, renewal and rebalancing. `inFlight(shard)` says whether rows of a
   * shard are claimed and not yet marked: such a shard is handed back only once they are.
   * Rounds never overlap.
   */
  maintain(inFlight: (shard: number) => boolean): Promise<void> {
    return this.serialised(() => this.round(inFlight));
  }

  /** Hands back every shard and leaves the group (on shutdown, after the last batch is marked). */
  releaseAll(): Promise<void> {
    return this.serialised(async () => {
      const em = this.options.orm.em.fork();
      await releaseShardLeases(em, this.options.relayId);
      await removeRelayHeartbeat(em, this.options.relayId);
      this.held.clear();
      this.releasing.clear();
    });
  }

  private serialised(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => {});
    return next;
  }

  private async round(inFlight: (shard: number) => boolean): Promise<void> {
    const { relayId, ttlMs, logger } = this.options;
    const em = this.options.orm.em.fork();
    const sentAt = this.now();
    const validUntil = sentAt + ttlMs * 0.8;

    const live = await beatRelayHeartbeat(em, relayId, ttlMs);
    // Renewing only shards still ours: one that another relay took after it expired is not returned.
    const renewed = await renewShardLeases(em, relayId, ttlMs);
    const kept = new Map(renewed.map((row) => [row.shard, row.epoch]));
    for (const [shard, epoch] of kept) {
      // Taken in a round that failed half-way: ours in the database, so ours here too.
      if (!this.held.has(shard)) this.held.set(shard, { shard, epoch, validUntil });
    }
    for (const [shard, lease] of this.held) {
      if (kept.get(shard) === lease.epoch) lease.validUntil = validUntil;
      else {
        logger.warn({ shard }, 'lost the lease of a shard (it expired and another relay took it)');
        this.held.delete(shard);
        this.releasing.delete(shard);
      }
    }

    this.fairShare = Math.ceil(shardCount / Math.max(1, live));
    const surplus = this.held.size - this.fairShare - this.releasing.size;
    if (surplus > 0) {
      for (const shard of this.heldShards.filter((s) => !this.releasing.has(s)).slice(-surplus)) {
        this.releasing.add(shard);
      }
    }
    const idle = [...this.releasing].filter((shard) => !inFlight(shard));
    if (idle.length > 0) {
      await releaseShardLeases(em, relayId, idle);
      for (const shard of idle) {
        this.held.delete(shard);
        this.releasing.delete(shard);
      }
      logger.info({ shards: idle, fairShare: this.fairShare }, 'handed back shards above the fair share');
    }

    const wanted = this.fairShare - this.held.size;
    if (wanted > 0 && this.releasing.size === 0) {
      const taken = await takeFreeShardLeases(em, relayId, ttlMs, wanted);
      const shards = taken.map((row) => row.shard);
      if (shards.length > 0) {
        await this.options.onTakeOver?.(shards).catch((error: unknown) => {
          logger.warn({ err: error, shards }, 'reading what the previous holders left failed');
        });
      }
      for (const row of taken) {
        this.held.set(row.shard, { shard: row.shard, epoch: row.epoch, validUntil });
      }
      if (taken.length > 0) {
        logger.info({ shards, fairShare: this.fairShare }, 'took shard leases');
      }
    }
    await forgetDeadRelays(em, ttlMs * 10);
  }
}
