import { randomUUID } from 'node:crypto';
import { newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import {
  claimWebhookDeliveries,
  queueWebhookDeliveries,
  recordWebhookDeliveryOutcome,
  replayWebhookDeliveries,
  webhookDeliveryId,
} from './webhookDeliveries.js';
import { insertWebhookEndpoints, setWebhookEndpointDisabled } from './webhookEndpoints.js';

let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl: process.env.DATABASE_URL ?? '', poolSize: 2 });
});

afterAll(() => orm.close());

async function endpointWithDelivery(eventTypes: string[] | null = null) {
  const accountId = newId('acc');
  await runSql(orm.em.fork(), 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [
    accountId,
    'webhooks test',
  ]);
  const id = `whe_${randomUUID().replaceAll('-', '')}`;
  await insertWebhookEndpoints(orm.em.fork(), [
    { id, accountId, url: 'https://example.com/hook', description: null, eventTypes, secret: 'whsec_x' },
  ]);
  const event = {
    accountId,
    streamId: newId('msg'),
    version: 1,
    type: 'MessageAccepted',
    at: new Date().toISOString(),
    data: {},
  };
  return { accountId, id, event };
}

describe('queueing deliveries', () => {
  it('queues one per (event, endpoint) however often the event comes, and none for a filtered-out type', async () => {
    const { id, event } = await endpointWithDelivery();
    const filtered = await endpointWithDelivery(['MessageFailed']);
    expect(await queueWebhookDeliveries(orm.em.fork(), [event, event])).toBe(1);
    expect(await queueWebhookDeliveries(orm.em.fork(), [event])).toBe(0);
    expect(await queueWebhookDeliveries(orm.em.fork(), [filtered.event])).toBe(0);
    const { rows } = await runSql<{ id: string }>(
      orm.em.fork(),
      'SELECT id FROM webhook_deliveries WHERE endpoint_id = $1',
      [id],
    );
    expect(rows).toEqual([{ id: webhookDeliveryId(id, event.streamId, 1) }]);
  });
});

describe('enabling an endpoint again', () => {
  it('gives the deliveries that waited a whole retry period from now, and they are claimable at once', async () => {
    const { accountId, id, event } = await endpointWithDelivery();
    await queueWebhookDeliveries(orm.em.fork(), [event]);
    await setWebhookEndpointDisabled(orm, accountId, id, { reason: 'test', by: 'account' });
    await runSql(
      orm.em.fork(),
      `UPDATE webhook_deliveries SET retry_from = now() - interval '2 days', next_attempt_at = now() + interval '1 hour'
        WHERE endpoint_id = $1`,
      [id],
    );
    expect(
      (await claimWebhookDeliveries(orm.em.fork(), 1_000, 60_000)).filter((d) => d.endpointId === id),
    ).toEqual([]);

    await setWebhookEndpointDisabled(orm, accountId, id, false);
    const claimed = (await claimWebhookDeliveries(orm.em.fork(), 1_000, 60_000)).filter(
      (d) => d.endpointId === id,
    );
    expect(claimed).toHaveLength(1);
    expect(Date.now() - (claimed[0]?.retryFrom.getTime() ?? 0)).toBeLessThan(60_000);
  });
});

describe('a replay asked for while an attempt is under way', () => {
  /** A new endpoint's one delivery, queued and claimed for an attempt. */
  async function claimedDelivery() {
    const { id, event } = await endpointWithDelivery();
    await queueWebhookDeliveries(orm.em.fork(), [event]);
    const deliveryId = webhookDeliveryId(id, event.streamId, 1);
    const claimed = (await claimWebhookDeliveries(orm.em.fork(), 1_000, 60_000)).find(
      (delivery) => delivery.id === deliveryId,
    );
    if (!claimed) throw new Error(`delivery ${deliveryId} was not claimed`);
    return { endpointId: id, deliveryId, claimed };
  }

  it("is not undone by that attempt's outcome: the delivery goes out again at once", async () => {
    const { endpointId, deliveryId, claimed } = await claimedDelivery();
    expect(await replayWebhookDeliveries(orm, endpointId, new Date(0))).toBe(1);
    // The attempt that was under way when the replay came answers now.
    await recordWebhookDeliveryOutcome(orm, claimed, { kind: 'delivered', status: 200 });
    const { rows } = await runSql<{ state: string; leased: boolean }>(
      orm.em.fork(),
      'SELECT state, lease_until IS NOT NULL AS leased FROM webhook_deliveries WHERE id = $1',
      [deliveryId],
    );
    expect(rows).toEqual([{ state: 'pending', leased: false }]);
    const again = await claimWebhookDeliveries(orm.em.fork(), 1_000, 60_000);
    expect(again.map((delivery) => delivery.id)).toContain(deliveryId);
  });

  it('leaves an outcome recorded as usual when nothing came in between', async () => {
    const { deliveryId, claimed } = await claimedDelivery();
    await recordWebhookDeliveryOutcome(orm, claimed, { kind: 'delivered', status: 200 });
    const { rows } = await runSql<{ state: string }>(
      orm.em.fork(),
      'SELECT state FROM webhook_deliveries WHERE id = $1',
      [deliveryId],
    );
    expect(rows).toEqual([{ state: 'delivered' }]);
  });
});
