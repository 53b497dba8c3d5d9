import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@exactly/observability';
import { type Orm, openOrm } from '@exactly/persistence';
import { OutboxStore } from './outboxStore.js';
import { ShardLeases, shardCount } from './shardLeases.js';
import { seedOutbox } from './testing/outboxFixtures.js';
import { createTestDatabase, type TestDatabase } from './testing/testDatabase.js';

const logger = createLogger('relay-test', 'silent');
let database: TestDatabase;
let orm: Orm;

beforeEach(async () => {
  database = await createTestDatabase();
  orm = await openOrm({ databaseUrl: database.url, poolSize: 4 });
});

afterEach(async () => {
  await orm.close();
  await database.drop();
});

const leasesFor = (relayId: string, ttlMs = 10_000) => new ShardLeases({ orm, relayId, ttlMs, logger });
const nothingInFlight = () => false;

async function rounds(
  relays: ShardLeases[],
  count: number,
  inFlight: (shard: number) => boolean = nothingInFlight,
) {
  for (let round = 0; round < count; round++) {
    for (const relay of relays) await relay.maintain(inFlight);
  }
}

describe('shard leases', () => {
  it('give a lone relay every shard', async () => {
    const relay = leasesFor('a');
    await relay.maintain(nothingInFlight);
    expect(relay.heldShards).toHaveLength(shardCount);
  });

  it('are shared fairly by three relays, each shard held by exactly one', async () => {
    const relays = ['a', 'b', 'c'].map((id) => leasesFor(id));
    await rounds(relays, 3);
    const held = relays.map((relay) => relay.heldShards);
    expect(held.map((shards) => shards.length).sort()).toEqual([10, 11, 11]);
    expect(new Set(held.flat()).size).toBe(shardCount);
  });

  it('are handed over only once the rows in flight of a shard are marked', async () => {
    const a = leasesFor('a');
    const b = leasesFor('b');
    await a.maintain(nothingInFlight);
    await b.maintain(nothingInFlight);
    const busy = (shard: number) => shard === 31;
    await a.maintain(busy);
    expect(a.heldShards).toContain(31);
    expect(a.claimable().map((lease) => lease.shard)).not.toContain(31);
    await a.maintain(nothingInFlight);
    await b.maintain(nothingInFlight);
    expect(a.heldShards).toHaveLength(16);
    expect(b.heldShards).toHaveLength(16);
    expect(b.heldShards).toContain(31);
  });

  it('move to another relay after they expire, which fences the old holder out of the rows', async () => {
    const store = new OutboxStore(orm, 'events-topic-unused');
    await seedOutbox(orm, { topic: 't', count: 100 });
    const stalled = leasesFor('stalled', 600);
    await stalled.maintain(nothingInFlight);
    const [lease] = stalled.claimable();
    expect(lease).toBeDefined();
    expect(stalled.holds(lease!.shard, lease!.epoch)).toBe(true);

    await sleep(700);
    const successor = leasesFor('successor', 600);
    await successor.maintain(nothingInFlight);
    expect(successor.heldShards).toHaveLength(shardCount);

    // The stalled relay knows its lease is over before it hears of the successor...
    expect(stalled.holds(lease!.shard, lease!.epoch)).toBe(false);
    // ...and the database refuses it rows of the shards it no longer holds.
    const claim = (relayId: string, shards: number[]) =>
      store.claim({ relayId, batch: 1, shards, perShard: 100, limit: 100, exclude: [] });
    expect(await claim('stalled', [...Array(shardCount).keys()])).toEqual([]);
    expect(await claim('successor', successor.heldShards)).toHaveLength(100);
    await stalled.maintain(nothingInFlight);
    expect(stalled.heldShards).toEqual([]);
  });

  it('are given back when a relay leaves, for the others to take at once', async () => {
    const a = leasesFor('a');
    const b = leasesFor('b');
    await rounds([a, b], 2);
    await a.releaseAll();
    await b.maintain(nothingInFlight);
    expect(b.heldShards).toHaveLength(shardCount);
  });
});
