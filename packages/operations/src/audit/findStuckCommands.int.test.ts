import { newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { createAccount } from '../accounts/createAccount.js';
import { findStuckCommands } from './findStuckCommands.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

describe('the audit of commands in flight', () => {
  let orm: Orm;
  let accountId: string;
  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 2 });
    ({ accountId } = await createAccount(orm, 'audit'));
  });
  afterAll(async () => {
    await orm.close();
  });

  /** A message `ageMinutes` old in `status`, with its command's outbox row when `outbox` says so. */
  async function message(status: string, ageMinutes: number, outbox?: 'unpublished' | 'set_aside') {
    const id = newId('msg');
    const em = orm.em.fork();
    await runSql(
      em,
      `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version, created_at)
       VALUES ($1, $2, $3, 'sms', '+15551234567', 'Acme', '{}', $4, 1, now() - $5 * interval '1 minute')`,
      [id, accountId, `key-${id}`, status, ageMinutes],
    );
    const payload = JSON.stringify({ type: 'SendMessage', data: { messageId: id, accountId } });
    if (outbox === 'unpublished') {
      await runSql(em, `INSERT INTO outbox (topic, kafka_key, payload) VALUES ('audit-commands', $1, $2)`, [
        `${accountId}/key-${id}`,
        payload,
      ]);
    }
    if (outbox === 'set_aside') {
      await runSql(
        em,
        `INSERT INTO outbox_set_aside (id, topic, kafka_key, payload, headers, created_at, reason)
         VALUES ((SELECT coalesce(max(id), 0) + 1000000 FROM outbox_set_aside), 'audit-commands', $1, $2, '{}', now(), 'record too large')`,
        [`${accountId}/key-${id}`, payload],
      );
    }
    return id;
  }

  it('lists the commands in flight past the threshold, oldest first, with where each stands', async () => {
    const waiting = await message('accepted', 30, 'unpublished');
    const setAside = await message('accepted', 20, 'set_aside');
    const consumed = await message('dispatching', 10);
    await message('accepted', 1, 'unpublished'); // recent: not stuck yet
    await message('sent', 60); // terminal
    const stuck = (await findStuckCommands(orm.em.fork(), { olderThanMs: 5 * 60_000 })).filter(
      (command) => command.accountId === accountId,
    );
    expect(stuck.map((command) => command.messageId)).toEqual([waiting, setAside, consumed]);
    expect(stuck[0]?.why).toMatch(/^outbox row \d+ not yet published \(\d+ s old\)$/);
    expect(stuck[1]?.why).toBe('set aside by the relay: record too large');
    expect(stuck[2]?.why).toBe('published, not yet consumed by the dispatcher (no inbox row)');
    expect(stuck[0]?.ageMs).toBeGreaterThanOrEqual(30 * 60_000);
  });

  it("says why an effect was held while its message stayed in flight (the effect's last error)", async () => {
    // The dispatcher's last resort when even MessageHeld cannot be written: the effect alone is
    // held, with both errors in last_error, and the message keeps its status.
    const heldAlone = await message('dispatching', 10);
    await runSql(
      orm.em.fork(),
      `INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset") VALUES ($1, '\\x00', 'audit-commands', 3, 41)`,
      [heldAlone],
    );
    await runSql(
      orm.em.fork(),
      `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, state, attempt, max_attempts, last_error, finished_at)
       VALUES ($1, $2, $3, 'sms', 'log', $2, '{}', 'held', 1, 5, $4, now())`,
      [
        `eff_${heldAlone}`,
        heldAlone,
        accountId,
        'its outcome could not be recorded: value too long; holding it failed too: disk full',
      ],
    );
    const [stuck] = (await findStuckCommands(orm.em.fork(), { olderThanMs: 5 * 60_000 })).filter(
      (command) => command.messageId === heldAlone,
    );
    expect(stuck?.why).toBe(
      'consumed (partition 3 offset 41); effect held, attempt 1 of 5, last error: its outcome could not be recorded: value too long; holding it failed too: disk full',
    );
  });

  it('counts a scheduled send as in flight from its release, not from its acceptance', async () => {
    const justReleased = await message('accepted', 120);
    const releasedLongAgo = await message('accepted', 120);
    for (const [id, releasedMinutesAgo] of [
      [justReleased, 0],
      [releasedLongAgo, 30],
    ] as const) {
      await runSql(
        orm.em.fork(),
        `INSERT INTO scheduled_sends (message_id, account_id, due_at, state, version, request_id, traceparent, released_at)
         VALUES ($1, $2, now() - $3 * interval '1 minute', 'released', 2, 'req', 'tp', now() - $3 * interval '1 minute')`,
        [id, accountId, releasedMinutesAgo],
      );
    }
    const stuck = (await findStuckCommands(orm.em.fork(), { olderThanMs: 5 * 60_000 })).map(
      (command) => command.messageId,
    );
    expect(stuck).toContain(releasedLongAgo);
    expect(stuck).not.toContain(justReleased);
  });
});
