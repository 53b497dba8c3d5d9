import { createAccount, IngestApi } from '@exactly/testkit';
import { exactly } from '../testing/runExactly.js';

describe('`exactly webhooks`', () => {
  let api: IngestApi;

  beforeAll(async () => {
    api = await IngestApi.start('default', { WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' });
  });

  afterAll(async () => {
    await api.stop();
  });

  it('creates once per key, lists with health, updates, disables, enables, rotates and replays', async () => {
    const caller = await createAccount(`cli-webhooks-${Date.now()}`);
    const env = { EXACTLY_API_URL: api.url, EXACTLY_API_KEY: caller.apiKey };
    const args = [
      'http://127.0.0.1:9/hook',
      '--events',
      'MessageAccepted,MessageFailed',
      '--idempotency-key',
      'cli-1',
    ];
    const created = await exactly(['webhooks', 'create', ...args, '--json'], env);
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({
      eventTypes: ['MessageAccepted', 'MessageFailed'],
      secret: expect.stringMatching(/^whsec_/),
    });
    const again = await exactly(['webhooks', 'create', ...args], env);
    expect(again.stdout).toContain(`${created.json.id} (replayed)`);
    const id: string = created.json.id;

    const listed = await exactly(['webhooks', 'list'], env);
    expect(listed.stdout).toMatch(
      new RegExp(`${id}\\s+http://127.0.0.1:9/hook\\s+MessageAccepted,MessageFailed\\s+enabled`),
    );

    expect(
      (await exactly(['webhooks', 'update', id, '--events', 'all', '--json'], env)).json.eventTypes,
    ).toBeNull();
    expect((await exactly(['webhooks', 'disable', id, '--reason', 'maintenance'], env)).stdout).toContain(
      'disabled (maintenance)',
    );
    expect((await exactly(['webhooks', 'enable', id, '--json'], env)).json.disabled).toBe(false);
    expect((await exactly(['webhooks', 'rotate-secret', id], env)).stdout).toMatch(/^secret: whsec_/);
    const replay = await exactly(['webhooks', 'replay', id, '--since', '2026-12-01T00:00:00Z'], env);
    expect(replay.stdout).toBe(
      `0 deliveries of ${id} queued again (events since 2026-12-01T00:00:00.000Z)\n`,
    );
    expect((await exactly(['webhooks', 'get', 'whe_00000000000000000000000000000000'], env)).code).not.toBe(
      0,
    );
  });
});
