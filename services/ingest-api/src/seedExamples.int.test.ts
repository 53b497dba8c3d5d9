import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestServer, storedFor, type TestServer } from './testing/startTestServer.js';

const seeds = fileURLToPath(new URL('../../../docs/seeds/', import.meta.url));

interface Answer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/**
 * Runs a seed document's curl example with `sh`, as a user pasting it would, with only the
 * document's origin and API key replaced. The test's `.curlrc` (through CURL_HOME) adds
 * `--include` so the answers' status lines and headers can be read; the command is untouched.
 */
async function runExample(
  api: TestServer,
  example: { command: string; origin: string; apiKey: string },
  apiKey: string,
): Promise<Answer[]> {
  const command = example.command.replaceAll(example.origin, api.url).replaceAll(example.apiKey, apiKey);
  const curlHome = await mkdtemp(join(tmpdir(), 'seed-curl-'));
  try {
    await writeFile(join(curlHome, '.curlrc'), 'include\nsilent\n');
    const { stdout } = await promisify(execFile)('sh', ['-c', command], {
      env: { ...process.env, CURL_HOME: curlHome },
    });
    return stdout
      .split(/(?=HTTP\/1\.1 \d{3} )/)
      .filter((part) => part.length > 0)
      .map(parseAnswer);
  } finally {
    await rm(curlHome, { recursive: true, force: true });
  }
}

function parseAnswer(raw: string): Answer {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, split).split('\r\n');
  const headers = new Map(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const;
    }),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(split + 4) };
}

async function documentText(file: string): Promise<string> {
  return readFile(join(seeds, file), 'utf8');
}

/** The reply's content without what differs between two requests (the request id). */
function sameReply(first: Answer, second: Answer): void {
  expect(second.status).toBe(first.status);
  expect(second.body).toBe(first.body);
  expect(second.headers.get('location')).toBe(first.headers.get('location'));
}

describe('000 Pulsewave: the curl example of POST /v1/messages', () => {
  const example = {
    origin: 'https://api.pulsewave.dev',
    apiKey: 'pw_live_8f2k9q3m1n7r5t6y4u2i0o8p',
    command: String.raw`curl -X POST https://api.pulsewave.dev/v1/messages \
  -H "Authorization: Bearer pw_live_8f2k9q3m1n7r5t6y4u2i0o8p" \
  -H "Idempotency-Key: order-1042-confirmation" \
  -H "Content-Type: application/json" \
  -d '{ "channel": "email", "to": "ada@example.com", "from": "orders@acme.com", "subject": "Order confirmed", "text": "..." }'`,
  };

  it('is the document’s, and run twice gets the original response and stores one message', async () => {
    expect(await documentText('000-pulsewave.txt')).toContain(example.command);
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'pulsewave' }, { listen: true });
    try {
      const who = await api.newAccount();
      const [first] = await runExample(api, example, who.apiKey);
      const [retry] = await runExample(api, example, who.apiKey);
      expect(first?.status).toBe(202);
      expect(JSON.parse(first?.body ?? '')).toMatchObject({ status: 'accepted', channel: 'email' });
      sameReply(first as Answer, retry as Answer);
      expect(retry?.headers.get('idempotent-replayed')).toBe('true');
      expect((await storedFor(api.orm, who.accountId)).messages).toHaveLength(1);

      // "Replaying a key with a different body returns a 400."
      const other = await runExample(
        api,
        { ...example, command: example.command.replace('"text": "..."', '"text": "changed"') },
        who.apiKey,
      );
      expect(other[0]?.status).toBe(400);
      expect((await storedFor(api.orm, who.accountId)).messages).toHaveLength(1);
    } finally {
      await api.close();
    }
  });
});

describe('001 Txtly: the curl example of POST /emails', () => {
  const example = {
    origin: 'https://api.txtly.com.au',
    apiKey: 'tx_live_your_api_key_here',
    command: String.raw`curl -X POST https://api.txtly.com.au/emails \
  -H "Authorization: Bearer tx_live_your_api_key_here" \
  -H "Content-Type: application/json" \
  -H "Idempotency-Key: email_send_2024_03_21_12345" \
  -d '{
    "to": "user@example.com",
    "from": "noreply@yourdomain.com",
    "subject": "Welcome to Txtly",
    "html": "<p>Hello! This is your first email.</p>"
  }'`,
  };

  it('is the document’s, and run twice returns the same response and sends the email once', async () => {
    expect(await documentText('001-txtly.txt')).toContain(example.command);
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'txtly' }, { listen: true });
    try {
      const who = await api.newAccount();
      const [first] = await runExample(api, example, who.apiKey);
      const [retry] = await runExample(api, example, who.apiKey);
      expect(first?.status).toBe(202);
      expect(JSON.parse(first?.body ?? '')).toMatchObject({
        status: 'accepted',
        channel: 'email',
        to: 'user@example.com',
        from: 'noreply@yourdomain.com',
      });
      sameReply(first as Answer, retry as Answer);
      expect(retry?.headers.get('idempotent-replayed')).toBe('true');
      const stored = await storedFor(api.orm, who.accountId);
      expect(stored.messages).toHaveLength(1);
      expect(stored.outbox.filter((row) => row.payload.type === 'SendMessage')).toHaveLength(1);
    } finally {
      await api.close();
    }
  });
});

describe('002 GetMailer: the curl example of POST /api/emails', () => {
  const example = {
    origin: 'https://getmailer.co',
    apiKey: 'gm_your_api_key',
    command: String.raw`curl -X POST https://getmailer.co/api/emails \
  -H "Authorization: Bearer gm_your_api_key" \
  -H "Content-Type: application/json" \
  -H "Idempotency-Key: order-confirmation-12345" \
  -d '{
    "from": "orders@yourdomain.com",
    "to": "customer@example.com",
    "subject": "Order #12345 Confirmed",
    "html": "<p>Your order has been confirmed!</p>"
  }'`,
  };

  it('is the document’s, run twice returns the cached response, and another body gets 409', async () => {
    expect(await documentText('002-getmailer.txt')).toContain(example.command);
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'getmailer' }, { listen: true });
    try {
      const who = await api.newAccount();
      const [first] = await runExample(api, example, who.apiKey);
      const [retry] = await runExample(api, example, who.apiKey);
      expect(first?.status).toBe(202);
      expect(JSON.parse(first?.body ?? '')).toMatchObject({ channel: 'email', to: 'customer@example.com' });
      sameReply(first as Answer, retry as Answer);
      expect(retry?.headers.get('idempotent-replayed')).toBe('true');

      // "Same key, different body: 409 Conflict".
      const other = await runExample(
        api,
        { ...example, command: example.command.replace('#12345 Confirmed', '#12345 Shipped') },
        who.apiKey,
      );
      expect(other[0]?.status).toBe(409);
      // "Keys are unique per API key (different accounts can use the same key)".
      const otherKey = await api.newKey(who.accountId);
      const [fresh] = await runExample(api, example, otherKey.apiKey);
      expect(fresh?.status).toBe(202);
      expect(fresh?.headers.get('idempotent-replayed')).toBeUndefined();
      expect((await storedFor(api.orm, who.accountId)).messages).toHaveLength(2);
    } finally {
      await api.close();
    }
  });
});

describe('003 Truedy: the curl example of POST /api/public/v1/calls (first request, then the retry)', () => {
  const example = {
    origin: 'https://api.truedy.ai',
    apiKey: 'YOUR_API_KEY',
    command: String.raw`# First request
curl -X POST https://api.truedy.ai/api/public/v1/calls \
  -H "Authorization: Bearer YOUR_API_KEY" \
  -H "Content-Type: application/json" \
  -H "X-Idempotency-Key: 550e8400-e29b-41d4-a716-446655440000" \
  -d '{"agent_id":"...","phone_number":"+15551234567","direction":"outbound"}'

# Retry with same key and body -> same 201 response, no second call created
curl -X POST https://api.truedy.ai/api/public/v1/calls \
  -H "Authorization: Bearer YOUR_API_KEY" \
  -H "Content-Type: application/json" \
  -H "X-Idempotency-Key: 550e8400-e29b-41d4-a716-446655440000" \
  -d '{"agent_id":"...","phone_number":"+15551234567","direction":"outbound"}'`,
  };

  it('is the document’s, and gets the same 201 with the call in `data` twice, one call created', async () => {
    expect(await documentText('003-truedy.txt')).toContain(example.command);
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'truedy' }, { listen: true });
    try {
      const who = await api.newAccount();
      const answers = await runExample(api, example, who.apiKey);
      expect(answers).toHaveLength(2);
      const [first, retry] = answers as [Answer, Answer];
      expect(first.status).toBe(201);
      expect(JSON.parse(first.body)).toMatchObject({
        data: {
          status: 'accepted',
          channel: 'voice',
          to: '+15551234567',
          metadata: { agent_id: '...', direction: 'outbound' },
        },
      });
      sameReply(first, retry);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      const stored = await storedFor(api.orm, who.accountId);
      expect(stored.messages).toHaveLength(1);
      const command = stored.outbox.find((row) => row.payload.type === 'SendMessage');
      expect(command?.payload).toMatchObject({
        data: { message: { channel: 'voice', to: '+15551234567', text: 'agent:...' } },
      });
    } finally {
      await api.close();
    }
  });
});
