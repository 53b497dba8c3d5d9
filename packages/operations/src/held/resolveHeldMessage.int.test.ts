import { readStream } from '@exactly/message-store';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { seedHeldMessage } from '../testing/seedMessage.js';
import { listHeldMessages } from './listHeldMessages.js';
import { resolveHeldMessage } from './resolveHeldMessage.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
const eventsTopic = 'held-test-events';

async function stateOf(orm: Orm, messageId: string) {
  const { rows } = await runSql<{ effect: string; status: string; version: number }>(
    orm.em.fork(),
    `SELECT e.state AS effect, m.status, m.version FROM effects e JOIN messages m ON m.id = e.message_id
      WHERE e.message_id = $1`,
    [messageId],
  );
  return rows[0];
}

describe('held messages', () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 4 });
  });
  afterAll(async () => {
    await orm.close();
  });

  it('are listed with the provider, the attempt and why', async () => {
    const messageId = await seedHeldMessage(orm);
    const { count, messages } = await listHeldMessages(orm.em.fork(), { limit: 1_000 });
    expect(count).toBeGreaterThanOrEqual(1);
    expect(messages.find((message) => message.messageId === messageId)).toMatchObject({
      provider: 'http',
      attempt: 1,
      recipient: '+15551234567',
      reason: 'timed out after sending',
    });
  });

  it('marked sent: the decision is an event, the message is sent and the effect settled', async () => {
    const messageId = await seedHeldMessage(orm);
    expect(
      await resolveHeldMessage(
        orm,
        { messageId, decision: 'sent', operator: 'ops@acme', note: 'carrier log' },
        {
          eventsTopic,
        },
      ),
    ).toEqual({ messageId, outcome: 'resolved', decision: 'sent', status: 'sent' });
    expect(await stateOf(orm, messageId)).toEqual({ effect: 'succeeded', status: 'sent', version: 4 });
    expect((await readStream(orm.em.fork(), messageId)).at(-1)).toMatchObject({
      type: 'OperatorMarkedSent',
      data: { operator: 'ops@acme', note: 'carrier log' },
    });
    const { rows } = await runSql(orm.em.fork(), 'SELECT 1 FROM outbox WHERE topic = $1 AND kafka_key = $2', [
      eventsTopic,
      messageId,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('marked failed: the message fails', async () => {
    const messageId = await seedHeldMessage(orm);
    await resolveHeldMessage(orm, { messageId, decision: 'failed', operator: 'ops' }, { eventsTopic });
    expect(await stateOf(orm, messageId)).toEqual({ effect: 'failed', status: 'failed', version: 4 });
  });

  it('sent again: the effect is due for one more attempt and the message is dispatching', async () => {
    const messageId = await seedHeldMessage(orm);
    await resolveHeldMessage(orm, { messageId, decision: 'send_again', operator: 'ops' }, { eventsTopic });
    expect(await stateOf(orm, messageId)).toEqual({ effect: 'pending', status: 'dispatching', version: 4 });
    expect((await readStream(orm.em.fork(), messageId)).at(-1)?.type).toBe('OperatorRequestedResend');
  });

  it('decides once: a second decision, or one about a message not held, changes nothing', async () => {
    const messageId = await seedHeldMessage(orm);
    const [first, second] = await Promise.all([
      resolveHeldMessage(orm, { messageId, decision: 'send_again', operator: 'a' }, { eventsTopic }),
      resolveHeldMessage(orm, { messageId, decision: 'failed', operator: 'b' }, { eventsTopic }),
    ]);
    expect([first.outcome, second.outcome].sort()).toEqual(['not_held', 'resolved']);
    expect((await readStream(orm.em.fork(), messageId)).length).toBe(4);
    expect(
      await resolveHeldMessage(
        orm,
        { messageId: 'msg_missing', decision: 'sent', operator: 'a' },
        { eventsTopic },
      ),
    ).toEqual({ messageId: 'msg_missing', outcome: 'not_found' });
  });
});
