import { setTimeout as sleep } from 'node:timers/promises';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { effectIdFor } from '../decide/decideCommand.js';
import { type ClaimedEffect, claimEffects } from '../effects/claimEffects.js';
import type { EffectHandoff } from '../effects/effectHandoff.js';
import { seedAccount, seedMessages } from '../testing/seedCommands.js';
import { databaseUrl } from '../testing/testDispatcher.js';
import { decodeRecord } from './decodeRecord.js';
import {
  type PartitionBatchContext,
  processPartitionBatch,
  processPartitionBatches,
} from './processPartitionBatch.js';

let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
});

/**
 * Runs `work` with an effect row already there for the command, so a batch's insert of its effect
 * fails, then deletes the row: its request is no message, and left behind, every later test's log
 * provider would fail on it.
 */
async function withEffectInTheWay(
  command: { messageId: string; accountId: string } | undefined,
  work: () => Promise<void>,
): Promise<void> {
  if (command === undefined) throw new Error('no command');
  const id = effectIdFor(command.messageId);
  await runSql(
    orm.em.fork(),
    `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts)
     VALUES ($1, $2, $3, 'email', 'log', $2, '{}', 3)`,
    [id, command.messageId, command.accountId],
  );
  try {
    await work();
  } finally {
    await runSql(orm.em.fork(), 'DELETE FROM effects WHERE id = $1', [id]);
  }
}

describe('a batch of a member that lost its partition, committing after the new owner', () => {
  it('skips what the new owner stored and never writes its lower offset over the newer one', async () => {
    const accountId = await seedAccount(orm);
    const commands = await seedMessages(orm, accountId, 20);
    const records = commands.map((command, index) =>
      decodeRecord({
        offset: String(index < 10 ? 40 + index : 110 + index - 10),
        key: Buffer.from(command.record.key),
        value: Buffer.from(command.record.value),
        headers: command.record.headers,
      }),
    );
    const context = (highWatermark: string): PartitionBatchContext =>
      ({
        groupId: `zombie-${accountId}`,
        topic: 'zombie-topic',
        partition: 0,
        topicId: '6f1c1f0e-0000-4000-8000-000000000001',
        // Ignored by the current code; the code before compared the stored offset with it.
        highWatermark,
        eventsTopic: 'zombie-events',
        deadLetterTopic: 'zombie-dead-letters',
        providerFor: () => 'log',
        maxAttempts: 3,
        transactionIdleTimeoutMs: 10_000,
      }) as PartitionBatchContext;

    // The new owner processed up to offset 120.
    const owner = await processPartitionBatch(orm, context('120'), records.slice(10));
    expect(owner.nextOffset).toBe(120n);
    // The old owner's batch of offsets 40..49, fetched when the log ended at 50, commits late.
    const zombie = await processPartitionBatch(orm, context('50'), records.slice(0, 10));

    expect(zombie.skipped).toBe(10);
    expect(zombie.dispatched).toBe(0);
    const { rows } = await runSql<{ next_offset: string }>(
      orm.em.fork(),
      'SELECT next_offset FROM consumer_offsets WHERE group_id = $1',
      [`zombie-${accountId}`],
    );
    expect(rows).toEqual([{ next_offset: '120' }]);
  });
});

describe('the batches of several partitions in one transaction', () => {
  async function threePartitions() {
    const accountId = await seedAccount(orm);
    const commands = await seedMessages(orm, accountId, 8);
    const recordOf = (index: number, offset: number) => {
      const command = commands[index];
      if (command === undefined) throw new Error(`no command ${index}`);
      return decodeRecord({
        offset: String(offset),
        key: Buffer.from(command.record.key),
        value: Buffer.from(command.record.value),
        headers: command.record.headers,
      });
    };
    // Of this run alone: dead letters are unique by topic, partition and offset.
    const groupId = `together-${accountId}`;
    const topic = groupId;
    const context = (partition: number): PartitionBatchContext => ({
      groupId,
      topic,
      partition,
      topicId: '6f1c1f0e-0000-4000-8000-000000000003',
      eventsTopic: 'together-events',
      deadLetterTopic: 'together-dead-letters',
      providerFor: () => 'log',
      maxAttempts: 3,
      transactionIdleTimeoutMs: 10_000,
    });
    // Partition 2 has stored offset 5: its record at offset 3 was processed before.
    await runSql(
      orm.em.fork(),
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, topic_id)
       VALUES ($1, $2, 2, 5, '6f1c1f0e-0000-4000-8000-000000000003')`,
      [groupId, topic],
    );
    const batches = [
      { context: context(0), records: [0, 1, 2, 3].map((index) => recordOf(index, index)) },
      // Command 4 twice in its batch.
      { context: context(1), records: [recordOf(4, 10), recordOf(5, 11), recordOf(6, 12), recordOf(4, 13)] },
      {
        context: context(2),
        records: [
          recordOf(7, 3),
          decodeRecord({ offset: '5', key: null, value: Buffer.from('not a command'), headers: {} }),
        ],
      },
    ];
    const offsets = async () => {
      const { rows } = await runSql<{ partition: number; next_offset: string; tx: string }>(
        orm.em.fork(),
        'SELECT partition, next_offset, xmin::text AS tx FROM consumer_offsets WHERE group_id = $1 ORDER BY partition',
        [groupId],
      );
      return rows;
    };
    const inboxPartitions = async () => {
      const { rows } = await runSql<{ message_id: string; partition: number }>(
        orm.em.fork(),
        'SELECT message_id, partition FROM inbox WHERE message_id = ANY($1::text[])',
        [commands.map((command) => command.messageId)],
      );
      return new Map(rows.map((row) => [row.message_id, row.partition]));
    };
    return { commands, batches, offsets, inboxPartitions };
  }

  it('does each as its own batch would: results, offsets, inbox rows and dead letters per partition', async () => {
    const { commands, batches, offsets, inboxPartitions } = await threePartitions();

    const results = await processPartitionBatches(orm, batches);

    expect(results.map((result) => result.nextOffset)).toEqual([4n, 14n, 6n]);
    expect(results.map((result) => result.dispatched)).toEqual([4, 3, 0]);
    expect(results.map((result) => result.duplicates.batch)).toEqual([0, 1, 0]);
    expect(results.map((result) => result.skipped)).toEqual([0, 0, 1]);
    expect(
      results.map((result) => result.deadLetters.map((letter) => [letter.partition, letter.code])),
    ).toEqual([[], [], [[2, 'schema_invalid']]]);
    const stored = await offsets();
    expect(stored.map((row) => [row.partition, row.next_offset])).toEqual([
      [0, '4'],
      [1, '14'],
      [2, '6'],
    ]);
    // Written by one transaction.
    expect(new Set(stored.map((row) => row.tx)).size).toBe(1);
    const inbox = await inboxPartitions();
    expect(commands.slice(0, 7).map((command) => inbox.get(command.messageId))).toEqual([
      0, 0, 0, 0, 1, 1, 1,
    ]);
    expect(inbox.has(commands[7]?.messageId ?? '')).toBe(false);
  });

  it('commits all of them or none: one batch that fails leaves every partition as it was', async () => {
    const { commands, batches, offsets, inboxPartitions } = await threePartitions();
    // Partition 1's part of the insert fails.
    await withEffectInTheWay(commands[5], async () => {
      await expect(processPartitionBatches(orm, batches)).rejects.toThrow();
      expect((await offsets()).map((row) => [row.partition, row.next_offset])).toEqual([[2, '5']]);
      expect((await inboxPartitions()).size).toBe(0);
    });
  });
});

describe('new effects claimed at creation by the executor of the process that creates them', () => {
  function handoffGranting(room: number, leaseMs: number) {
    const handed: ClaimedEffect[] = [];
    const cancelled: ClaimedEffect[] = [];
    const queued: string[] = [];
    const handoff: EffectHandoff = {
      leaseMs,
      reserve: (_provider, wanted) => {
        const granted = Math.min(room, wanted);
        room -= granted;
        return granted;
      },
      cancel: (effects) => {
        cancelled.push(...effects);
      },
      hand: (effects, _traceparents, queuedProviders) => {
        handed.push(...effects);
        queued.push(...queuedProviders);
      },
    };
    return { handoff, handed, cancelled, queued };
  }

  async function batchOf(count: number) {
    const accountId = await seedAccount(orm);
    const commands = await seedMessages(orm, accountId, count);
    const records = commands.map((command, index) =>
      decodeRecord({
        offset: String(index),
        key: Buffer.from(command.record.key),
        value: Buffer.from(command.record.value),
        headers: command.record.headers,
      }),
    );
    const context = (handoff: EffectHandoff): PartitionBatchContext => ({
      groupId: `handoff-${accountId}`,
      topic: 'handoff-topic',
      partition: 0,
      topicId: '6f1c1f0e-0000-4000-8000-000000000002',
      eventsTopic: 'handoff-events',
      deadLetterTopic: 'handoff-dead-letters',
      providerFor: () => 'log',
      maxAttempts: 3,
      transactionIdleTimeoutMs: 10_000,
      handoff,
    });
    return { commands, records, context };
  }

  async function effectRows(messageIds: readonly string[]) {
    const { rows } = await runSql<{
      message_id: string;
      state: string;
      attempt: number;
      claim_token: string | null;
      call_started_at: string | null;
      leased: boolean;
    }>(
      orm.em.fork(),
      `SELECT message_id, state, attempt, claim_token, call_started_at,
              due_at > clock_timestamp() + interval '30 seconds' AS leased
         FROM effects WHERE message_id = ANY($1::text[])`,
      [messageIds],
    );
    return new Map(rows.map((row) => [row.message_id, row]));
  }

  it('inserts as many as the executor has room for in flight (attempt 1, a claim token, a lease) and hands them over after the commit; the rest pending', async () => {
    const { commands, records, context } = await batchOf(3);
    const { handoff, handed, cancelled, queued } = handoffGranting(2, 60_000);
    const result = await processPartitionBatch(orm, context(handoff), records);

    expect(result.dispatched).toBe(3);
    expect(cancelled).toEqual([]);
    // The executor is told a pending one of that provider waits, so it claims it before new ones.
    expect(queued).toEqual(['log']);
    expect(handed.map((effect) => effect.messageId)).toEqual(commands.slice(0, 2).map((c) => c.messageId));
    const rows = await effectRows(commands.map((command) => command.messageId));
    for (const effect of handed) {
      expect(effect).toMatchObject({ attempt: 1, resumed: false, resumes: 0, provider: 'log' });
      expect(rows.get(effect.messageId)).toEqual({
        message_id: effect.messageId,
        state: 'in_flight',
        attempt: 1,
        claim_token: effect.claimToken,
        call_started_at: null,
        leased: true,
      });
    }
    // The request in memory is sent as the very bytes a later attempt reads from the row.
    const { rows: requests } = await runSql<{ request: unknown }>(
      orm.em.fork(),
      'SELECT request FROM effects WHERE id = $1',
      [handed[0]?.id],
    );
    expect(JSON.stringify(handed[0]?.request)).toBe(JSON.stringify(requests[0]?.request));
    expect(rows.get(commands[2]?.messageId ?? '')).toMatchObject({
      state: 'pending',
      attempt: 0,
      claim_token: null,
    });
    // A live lease is not claimable; the pending one is.
    const claimed = await claimEffects(orm.em.fork(), { provider: 'log', limit: 100, leaseMs: 60_000 });
    expect(claimed.map((effect) => effect.messageId)).toContain(commands[2]?.messageId);
    expect(claimed.map((effect) => effect.messageId)).not.toContain(commands[0]?.messageId);
  });

  it('once the lease of one never called runs out, any executor takes it over as the same attempt, not started', async () => {
    const { commands, records, context } = await batchOf(1);
    const { handoff, handed } = handoffGranting(1, 200);
    await processPartitionBatch(orm, context(handoff), records);
    expect(handed).toHaveLength(1);
    await sleep(400);
    const claimed = await claimEffects(orm.em.fork(), { provider: 'log', limit: 100, leaseMs: 60_000 });
    const taken = claimed.find((effect) => effect.messageId === commands[0]?.messageId);
    expect(taken).toMatchObject({ attempt: 1, resumed: false, resumes: 0 });
    expect(taken?.claimToken).not.toBe(handed[0]?.claimToken);
  });

  it('gives the room back when the transaction does not commit, and hands nothing over', async () => {
    const { commands, records, context } = await batchOf(2);
    const { handoff, handed, cancelled } = handoffGranting(2, 60_000);
    await withEffectInTheWay(commands[0], async () => {
      await expect(processPartitionBatch(orm, context(handoff), records)).rejects.toThrow();
      expect(handed).toEqual([]);
      expect(cancelled.map((effect) => effect.messageId)).toEqual(
        commands.map((command) => command.messageId),
      );
    });
  });
});
