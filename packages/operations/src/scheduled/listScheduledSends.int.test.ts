import { scheduleSendsStatement } from '@exactly/message-store';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { createAccount } from '../accounts/createAccount.js';
import { seedMessage } from '../testing/seedMessage.js';
import { listScheduledSends } from './listScheduledSends.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

describe('the schedule as operators read it', () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 2 });
  });
  afterAll(async () => {
    await orm.close();
  });

  async function scheduled(accountId: string, dueInMinutes: number, state = 'pending') {
    const { messageId } = await seedMessage(orm, {
      accountId,
      status: state === 'pending' ? 'scheduled' : state,
    });
    const dueAt = new Date(Date.now() + dueInMinutes * 60_000);
    const insert = scheduleSendsStatement([
      { messageId, accountId, dueAt, requestId: 'req_test', traceparent: '00-test-test-01' },
    ]);
    await runSql(orm.em.fork(), insert.text, insert.parameters);
    if (state !== 'pending')
      await runSql(orm.em.fork(), 'UPDATE scheduled_sends SET state = $2 WHERE message_id = $1', [
        messageId,
        state,
      ]);
    return { messageId, dueAt };
  }

  it('counts each state, names the next due, and lists pending (soonest first) and cancelled sends', async () => {
    const { accountId } = await createAccount(orm, 'scheduled');
    const later = await scheduled(accountId, 120);
    const soon = await scheduled(accountId, -60 * 24 * 365);
    const cancelled = await scheduled(accountId, 30, 'cancelled');
    const released = await scheduled(accountId, -1, 'released');

    const all = await listScheduledSends(orm.em, { limit: 1_000 });
    expect(all.counts.pending).toBeGreaterThanOrEqual(2);
    expect(all.counts.cancelled).toBeGreaterThanOrEqual(1);
    expect(all.counts.released).toBeGreaterThanOrEqual(1);
    // The same instant: PostgreSQL's text drops trailing zeros of the milliseconds (.01, not .010).
    expect(Date.parse(all.nextDueAt ?? '')).toBe(soon.dueAt.getTime());
    const ids = all.latest.map((row) => row.messageId);
    expect(ids).toEqual(expect.arrayContaining([later.messageId, soon.messageId, cancelled.messageId]));
    expect(ids).not.toContain(released.messageId);
    expect(ids.indexOf(soon.messageId)).toBeLessThan(ids.indexOf(later.messageId));
    expect(all.latest.find((row) => row.messageId === cancelled.messageId)).toMatchObject({
      state: 'cancelled',
      channel: 'sms',
      accountId,
    });

    const onlyReleased = await listScheduledSends(orm.em, { state: 'released', limit: 1_000 });
    expect(onlyReleased.latest.map((row) => row.state)).toEqual(onlyReleased.latest.map(() => 'released'));
    expect(onlyReleased.latest.map((row) => row.messageId)).toContain(released.messageId);
  });
});
