import { randomBytes, randomUUID } from 'node:crypto';
import { Account, newId } from '@exactly/persistence';
import { insertWebhookEndpoints, setWebhookEndpointDisabled } from '@exactly/webhooks';
import { startTestConsole, type TestConsole } from '../testing/startTestConsole.js';

const token = `operator-${randomBytes(12).toString('base64url')}`;
let api: TestConsole;

beforeAll(async () => {
  api = await startTestConsole({ OPERATOR_TOKEN: token }, { listen: false });
}, 60_000);

afterAll(async () => {
  await api?.close();
});

describe("the dashboard's webhook endpoints", () => {
  it('shows each endpoint’s health and whether it is disabled and why, to the operator only', async () => {
    const accountId = newId('acc');
    const em = api.orm.em.fork();
    em.create(Account, { id: accountId, name: 'webhooks console test' });
    await em.flush();
    const id = `whe_${randomUUID().replaceAll('-', '')}`;
    await insertWebhookEndpoints(api.orm.em.fork(), [
      {
        id,
        accountId,
        url: 'https://hooks.example.com/x',
        description: null,
        eventTypes: null,
        secret: 'whsec_x',
      },
    ]);
    await setWebhookEndpointDisabled(api.orm, accountId, id, { reason: 'receiver gone', by: 'account' });

    const refused = await api.inject({ method: 'GET', url: '/dashboard/api/webhook-endpoints' });
    expect(refused.statusCode).toBe(401);
    const answer = await api.inject({
      method: 'GET',
      url: '/dashboard/api/webhook-endpoints',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.statusCode).toBe(200);
    const listed = (answer.json() as { data: { id: string }[] }).data.find((endpoint) => endpoint.id === id);
    expect(listed).toMatchObject({
      accountId,
      disabled: true,
      disabledReason: 'receiver gone',
      health: { lastSuccessAt: null, lastFailureAt: null, failingStreak: 0 },
    });
    expect(JSON.stringify(listed)).not.toContain('whsec_');
  });
});
