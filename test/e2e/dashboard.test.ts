// The operator dashboard in a real browser: headless Chromium (Debian's) driven by playwright-core
// against a real console, ingest API, relay and dispatcher. Signs in (refusing a wrong token and an account's
// API key), watches counters and a message's timeline change live, redrives a dead letter made
// by a poison record, and saves screenshots of the main view under test/e2e/screenshots/.

/// <reference lib="dom" />

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '@exactly/infra';
import { createKafka } from '@exactly/messaging';
import { Account, issueApiKey, newId, type Orm, openOrm } from '@exactly/persistence';
import { eventually, FakeProvider, freePort, type RunningService, startService } from '@exactly/testkit';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureChromium, launchChromium } from './dashboardChromium.ts';

const databaseUrl = process.env.DATABASE_URL ?? '';
const brokers = process.env.KAFKA_BROKERS ?? '';
const run = randomBytes(4).toString('hex');
const topics = {
  commands: `dashboard-${run}.commands`,
  events: `dashboard-${run}.events`,
  deadLetters: `dashboard-${run}.dead-letters`,
};
const group = `dashboard-${run}`;
const operatorToken = `operator-${randomBytes(18).toString('base64url')}`;
const screenshots = join(repoRoot, 'test/e2e/screenshots');

let provider: FakeProvider;
let services: RunningService[] = [];
let ingestUrl: string;
let consoleUrl: string;
let orm: Orm;
let apiKey: string;
let accountId: string;
let browser: { context: BrowserContext; close(): Promise<void> } | undefined;
let page: Page;
const pageProblems: string[] = [];

async function service(name: string, port: number, env: Record<string, string>) {
  services.push(
    await startService(name, {
      port,
      env: {
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: brokers,
        COMMANDS_TOPIC: topics.commands,
        MESSAGE_EVENTS_TOPIC: topics.events,
        DEAD_LETTER_TOPIC: topics.deadLetters,
        ...env,
      },
    }),
  );
}

beforeAll(async () => {
  ensureChromium();
  provider = new FakeProvider({ honoursKeys: true });
  const providerUrl = await provider.listen();
  const [relayPort, dispatcherPort, ingestPort, consolePort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  await service('relay', relayPort, {
    RELAY_ID: `${group}-relay`,
    RELAY_TOPIC_PARTITIONS: '6',
    RELAY_POLL_MAX: '250ms',
  });
  await Promise.all([
    service('dispatcher', dispatcherPort, {
      CONSUMER_GROUP: group,
      CONSUMER_MAX_WAIT: '250ms',
      CONSUMER_SESSION_TIMEOUT: '6s',
      PROVIDER_EMAIL: 'http',
      PROVIDER_SMS: 'http',
      PROVIDER_VOICE: 'http',
      HTTP_PROVIDER_URL: providerUrl,
      HTTP_PROVIDER_HONOURS_KEY: 'true',
      PROVIDER_TIMEOUT: '20s',
      EFFECT_POLL_INTERVAL: '250ms',
      EFFECT_MAX_ATTEMPTS: '2',
      RETRY_BASE_DELAY: '100ms',
      RETRY_MAX_DELAY: '200ms',
    }),
    // The conformance suites share this database under other idempotency profiles; the dashboard
    // does not care which one is recorded, so it takes the default on purpose.
    service('ingest-api', ingestPort, { IDEMPOTENCY_PROFILE_SWITCH: 'true' }),
    service('console', consolePort, {
      OPERATOR_TOKEN: operatorToken,
      CONSUMER_GROUP: group,
      DASHBOARD_METRICS_URLS: [ingestPort, relayPort, dispatcherPort]
        .map((port) => `http://127.0.0.1:${port}/metrics`)
        .join(','),
      DASHBOARD_SAMPLE_INTERVAL: '1s',
    }),
  ]);
  ingestUrl = `http://127.0.0.1:${ingestPort}`;
  consoleUrl = `http://127.0.0.1:${consolePort}`;

  orm = await openOrm({ databaseUrl, poolSize: 2 });
  accountId = newId('acc');
  const em = orm.em.fork();
  em.create(Account, { id: accountId, name: 'dashboard e2e' });
  await em.flush();
  apiKey = (await issueApiKey(orm.em.fork(), accountId)).apiKey;

  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Refused sign-ins answer 401 on purpose; anything else the console reports is a problem.
    if (message.type() === 'error' && !message.text().includes('status of 401'))
      pageProblems.push(message.text());
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(services.map((running) => running.stop(5_000)));
  services = [];
  await provider?.close();
  await orm?.close();
  const admin = createKafka({ brokers: brokers.split(','), clientId: 'dashboard-e2e-cleanup' }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topics), timeout: 10_000 }).catch(() => undefined);
  await admin.disconnect();
});

async function send(key: string, to = '+15551230000') {
  const response = await fetch(`${ingestUrl}/v1/messages`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify({ channel: 'sms', to, from: 'ACME', text: `dashboard e2e ${key}` }),
  });
  if (response.status !== 202) throw new Error(`send ${key}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

async function status(id: string): Promise<string> {
  const response = await fetch(`${ingestUrl}/v1/messages/${id}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return ((await response.json()) as { status: string }).status;
}

/** Polls the page (it updates by itself: no reload anywhere in this test) with the test kit's `eventually`. */
const pageShows = <T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, ms = 20_000) =>
  eventually(what, async () => check(await read()), ms, 200);

const tile = async (name: string) =>
  Number(
    ((await page.getByTestId(`tile-${name}`).locator('.tile-value').textContent()) ?? '').replaceAll(',', ''),
  );
const timeline = async () =>
  page
    .locator('[data-testid=timeline] li')
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-type')));

describe('the operator dashboard in a browser', () => {
  it('signs in with the operator token only, never with a wrong token or an API key', async () => {
    await page.goto(`${consoleUrl}/dashboard`);
    const token = page.locator('#token');
    for (const wrong of ['operator-token-that-is-wrong', apiKey]) {
      await token.fill(wrong);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'That is not the operator token.' }).waitFor();
    }
    expect(page.url()).not.toContain(apiKey);
    await token.fill(operatorToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 15_000 });
    expect(page.url()).toBe(`${consoleUrl}/dashboard`);
    expect(page.url()).not.toContain(operatorToken);

    // The data itself refuses an account's API key, whatever the page does.
    const withKey = await fetch(`${consoleUrl}/dashboard/api/snapshot`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(withKey.status).toBe(401);
  });

  it('shows counters rise and a failed message while commands go through', async () => {
    const acceptedBefore = await tile('accepted');
    provider.failWith({ kind: 'fail-next', count: 2 });
    const failing = await send(`fail-${run}`);
    await pageShows(
      'the failing message',
      () => status(failing),
      (value) => value === 'failed',
    );
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push(await send(`order-${run}-${i}`, `+1555123${String(i).padStart(4, '0')}`));
    await send(`order-${run}-0`, '+15551230000'); // the same request again: a replay

    await pageShows(
      'accepted',
      () => tile('accepted'),
      (value) => value >= acceptedBefore + 13,
    );
    await pageShows(
      'replayed',
      () => tile('replayed'),
      (value) => value >= 1,
    );
    await pageShows(
      'failed',
      () => tile('failed'),
      (value) => value >= 1,
    );
    for (const id of ids)
      await pageShows(
        `message ${id}`,
        () => status(id),
        (value) => value === 'sent',
      );
    await pageShows(
      'sent',
      () => tile('sent'),
      (value) => value >= 12,
    );
    // Throughput is charted: uPlot draws on canvases inside the cards.
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(3);
  });

  it('finds a message by its idempotency key and follows its timeline live', async () => {
    provider.failWith({ kind: 'stall' });
    const key = `watched-${run}`;
    const id = await send(key);
    await page.getByRole('searchbox').fill(key);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('message-detail').waitFor();
    await pageShows(
      'the timeline while the provider stalls',
      timeline,
      (types) => JSON.stringify(types) === JSON.stringify(['MessageAccepted', 'DispatchRequested']),
    );
    expect(await page.getByTestId('message-status').textContent()).toBe('dispatching');
    expect(await page.locator('[data-testid=timeline]').textContent()).toContain(id);

    // The stalled call is reset after it was sent: its outcome is unknown (ambiguous), and this
    // provider honours keys, so it is retried with the same key and accepted.
    provider.heal();
    await pageShows(
      'the timeline after the provider recovers',
      timeline,
      (types) => types.at(-1) === 'ProviderAccepted' && types.includes('ProviderCallFailed'),
    );
    await pageShows(
      'the status',
      async () => page.getByTestId('message-status').textContent(),
      (text) => text === 'sent',
    );
    const attempts = await page.locator('[data-testid=attempts] tbody tr').allTextContents();
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toContain('ambiguous');
    expect(attempts[1]).toContain('accepted');
  });

  it('lists a dead letter with its reason and redrives it', async () => {
    const key = `${accountId}/poison-${run}`;
    const producer = createKafka({
      brokers: brokers.split(','),
      clientId: 'dashboard-e2e-poison',
    }).producer();
    await producer.connect();
    await producer.send({ topic: topics.commands, messages: [{ key, value: '{"type":"NotACommand"}' }] });
    await producer.disconnect();

    const rows = page.locator('table.dead-letters tbody tr').filter({ hasText: key });
    await rows.first().waitFor({ timeout: 20_000 });
    expect(await rows.first().textContent()).toContain('schema_invalid');
    await rows.first().getByRole('button', { name: 'Redrive' }).click();
    await rows.filter({ hasText: 'redriven' }).first().waitFor();
    // The record went back to its topic and, still poison, was set aside again at a new offset.
    await pageShows(
      'the redriven record dead-lettered again',
      () => rows.count(),
      (count) => count === 2,
    );
  });

  it('saves screenshots of the main view on a laptop and on a phone', async () => {
    mkdirSync(screenshots, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await sleep(1_200); // one more live sample, so every chart has its latest points
    await page.screenshot({ path: join(screenshots, 'dashboard.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(500);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(screenshots, 'dashboard-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('signs out, and the page asks for the token again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#token').waitFor();
    const snapshot = await page.evaluate(async () => (await fetch('/dashboard/api/snapshot')).status);
    expect(snapshot).toBe(401);
    expect(pageProblems).toEqual([]);
  });
});
