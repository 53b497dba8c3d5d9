import { readStream } from '@exactly/message-store';
import { seedHeldMessage } from '@exactly/operations/testing';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { exactly } from '../testing/runExactly.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

describe('exactly held', () => {
  let orm: Orm;

  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 2 });
  });

  afterAll(async () => {
    await orm.close();
  });

  it('lists held messages with why', async () => {
    const messageId = await seedHeldMessage(orm, 'held cli test');
    const result = await exactly(['held', 'list', '--limit', '10000', '--json']);
    expect(result.code).toBe(0);
    expect(result.json.messages).toContainEqual(
      expect.objectContaining({ messageId, provider: 'http', attempt: 1, reason: 'timed out after sending' }),
    );
    const table = await exactly(['held', 'list', '--limit', '10000']);
    expect(table.stdout).toContain(messageId);
  });

  it("records the operator's decision once: --send-again makes it due again, a second decision is refused", async () => {
    const messageId = await seedHeldMessage(orm, 'held cli test');
    const first = await exactly([
      'held',
      'resolve',
      messageId,
      '--send-again',
      '--operator',
      'ops',
      '--json',
    ]);
    expect(first).toMatchObject({
      code: 0,
      json: { messageId, outcome: 'resolved', decision: 'send_again', status: 'dispatching' },
    });
    const { rows } = await runSql<{ state: string }>(
      orm.em.fork(),
      'SELECT state FROM effects WHERE message_id = $1',
      [messageId],
    );
    expect(rows).toEqual([{ state: 'pending' }]);
    expect((await readStream(orm.em.fork(), messageId)).at(-1)).toMatchObject({
      type: 'OperatorRequestedResend',
      data: { operator: 'ops' },
    });
    const second = await exactly(['held', 'resolve', messageId, '--sent']);
    expect(second.code).toBe(3);
    expect(second.stdout).toMatch(/is not held \(status dispatching\): nothing changed/);
  });

  it('marks a held message sent or failed', async () => {
    const sent = await seedHeldMessage(orm, 'held cli test');
    const failed = await seedHeldMessage(orm, 'held cli test');
    expect((await exactly(['held', 'resolve', sent, '--sent', '--note', 'carrier log'])).stdout).toMatch(
      /sent recorded, status sent/,
    );
    expect((await exactly(['held', 'resolve', failed, '--failed'])).stdout).toMatch(
      /failed recorded, status failed/,
    );
  });

  it('needs exactly one decision, and says when the message does not exist', async () => {
    const messageId = await seedHeldMessage(orm, 'held cli test');
    expect((await exactly(['held', 'resolve', messageId])).code).toBe(2);
    expect((await exactly(['held', 'resolve', messageId, '--sent', '--failed'])).code).toBe(2);
    expect((await exactly(['held', 'resolve', 'msg_missing', '--sent'])).code).toBe(4);
  });
});
