import { createLogger } from '@exactly/observability';
import { type Orm, openOrm } from '@exactly/persistence';
import pg from 'pg';
import { createOutboxNotifier } from './createOutboxNotifier.js';
import { outboxChannel } from './notifyOutbox.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
const logger = createLogger('outbox-test', 'silent');
let orm: Orm;
let listener: pg.Client;
let sender: pg.Client;
let payloads: string[] = [];

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 2 });
  listener = new pg.Client({ connectionString: databaseUrl });
  sender = new pg.Client({ connectionString: databaseUrl });
  await Promise.all([listener.connect(), sender.connect()]);
  listener.on('notification', (message) => payloads.push(message.payload ?? ''));
  await listener.query(`LISTEN ${outboxChannel}`);
});

afterAll(async () => {
  await Promise.all([listener.end(), sender.end()]);
  await orm.close();
});

/**
 * The NOTIFYs the relays received since the last call. PostgreSQL delivers notifications in
 * commit order, so once a marker sent afterwards arrives, every earlier one has too.
 */
async function notificationsSoFar(): Promise<number> {
  const marker = `marker-${Math.random()}`;
  const arrived = new Promise<void>((resolve) => {
    const onNotification = (message: pg.Notification) => {
      if (message.payload !== marker) return;
      listener.off('notification', onNotification);
      resolve();
    };
    listener.on('notification', onNotification);
  });
  await sender.query('SELECT pg_notify($1, $2)', [outboxChannel, marker]);
  await arrived;
  const count = payloads.filter((payload) => payload === '').length;
  payloads = [];
  return count;
}

describe('the outbox notifier', () => {
  beforeEach(async () => {
    await notificationsSoFar();
  });

  it('wakes the relays once for one commit', async () => {
    const notifier = createOutboxNotifier(orm, logger);
    notifier.notify();
    await notifier.close();
    expect(await notificationsSoFar()).toBe(1);
  });

  it('covers the commits that land while a NOTIFY is on its way with one more (the ingest API)', async () => {
    const notifier = createOutboxNotifier(orm, logger);
    for (let commit = 0; commit < 50; commit += 1) notifier.notify();
    await notifier.close();
    expect(await notificationsSoFar()).toBe(2);
  });

  it('with an interval, gathers the commits before it into one NOTIFY, sent at the latest on close (the dispatcher)', async () => {
    const notifier = createOutboxNotifier(orm, logger, { intervalMs: 60_000 });
    for (let commit = 0; commit < 50; commit += 1) notifier.notify();
    await notifier.close();
    expect(await notificationsSoFar()).toBe(1);
  });

  it('sends nothing on close when nothing was committed', async () => {
    const notifier = createOutboxNotifier(orm, logger);
    await notifier.close();
    expect(await notificationsSoFar()).toBe(0);
  });
});
