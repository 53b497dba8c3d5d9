import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { seedAccount, seedMessages } from '../testing/seedCommands.js';
import { databaseUrl } from '../testing/testDispatcher.js';
import { decodeRecord } from './decodeRecord.js';
import { type PartitionBatchContext, processPartitionBatch } from './processPartitionBatch.js';

let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
});

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
