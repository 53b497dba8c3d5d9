import fc from 'fast-check';
import { email, startTestServer, type TestAccount, type TestServer } from './testing/startTestServer.js';

let api: TestServer;
let account: TestAccount;

beforeAll(async () => {
  api = await startTestServer({ IDEMPOTENCY_PROFILE: 'txtly' });
  account = await api.newAccount();
});

afterAll(async () => {
  await api.close();
});

async function postRaw(payload: string | Buffer, headers: Record<string, string | string[]> = {}) {
  return api.inject({
    method: 'POST',
    url: '/v1/messages',
    headers: {
      authorization: `Bearer ${account.apiKey}`,
      'content-type': 'application/json',
      ...headers,
    } as Record<string, string>,
    payload,
  });
}

/** A client error with problem details: what every hostile request must get. */
function expectClientError(response: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(response.statusCode).toBeGreaterThanOrEqual(400);
  expect(response.statusCode).toBeLessThan(500);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(response.body)).toMatchObject({ status: response.statusCode, code: expect.any(String) });
}

const headerSafe = (value: string) => /^[\x20-\x7e\x80-\xff]*$/.test(value) && value.trim() === value;

describe('hostile input never gets a 5xx', () => {
  it('random JSON bodies get 2xx or a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), fc.uuid(), async (body, key) => {
        const response = await postRaw(JSON.stringify(body), { 'idempotency-key': key });
        if (response.statusCode !== 202) expectClientError(response);
      }),
      { numRuns: 150 },
    );
  });

  it('random strings reach the database only when storable: 202 or a 4xx problem', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const metadataKey = fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/);
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ subject: text, text, metadata: fc.dictionary(metadataKey, text, { maxKeys: 3 }) }),
        fc.uuid(),
        async (fields, key) => {
          const response = await postRaw(JSON.stringify(email(fields)), { 'idempotency-key': key });
          if (response.statusCode === 202) accepted += 1;
          else expectClientError(response);
        },
      ),
      { numRuns: 150 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it('random strings as addresses get 202 or a 4xx problem', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(fc.record({ to: text, from: text }), fc.uuid(), async (fields, key) => {
        const response = await postRaw(JSON.stringify(email(fields)), { 'idempotency-key': key });
        if (response.statusCode !== 202) expectClientError(response);
      }),
      { numRuns: 100 },
    );
  });

  it('random bytes as a body get a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        expectClientError(await postRaw(Buffer.from(bytes), { 'idempotency-key': 'bytes' }));
      }),
      { numRuns: 100 },
    );
  });

  it('random idempotency keys get 202 or a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }).filter(headerSafe), async (key) => {
        const response = await postRaw(JSON.stringify(email()), { 'idempotency-key': key });
        if (response.statusCode !== 202) expectClientError(response);
      }),
      { numRuns: 100 },
    );
  });

  it('random batches get 202 or a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(email())), { maxLength: 5 }),
        fc.uuid(),
        async (messages, key) => {
          const response = await api.inject({
            method: 'POST',
            url: '/v1/messages/batch',
            headers: { authorization: `Bearer ${account.apiKey}`, 'idempotency-key': key },
            payload: { messages },
          });
          if (response.statusCode !== 202) expectClientError(response);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('the known traps', () => {
  it('\\u0000 in a string is a 400 (PostgreSQL text and jsonb reject it)', async () => {
    expectClientError(
      await postRaw(JSON.stringify(email({ subject: 'a\u0000b' })), { 'idempotency-key': 'nul-1' }),
    );
    expectClientError(
      await postRaw(JSON.stringify(email({ metadata: { 'k\u0000': 'v' } })), { 'idempotency-key': 'nul-2' }),
    );
  });

  it('a lone surrogate is a 400', async () => {
    expectClientError(
      await postRaw('{"channel":"sms","to":"+15551234567","from":"Acme","text":"\\ud800"}', {
        'idempotency-key': 'sur',
      }),
    );
  });

  it('two Idempotency-Key headers are a 400', async () => {
    const response = await postRaw(JSON.stringify(email()), { 'idempotency-key': ['a', 'b'] });
    expectClientError(response);
    expect(JSON.parse(response.body).code).toBe('idempotency_key_invalid');
  });

  it('deeply nested JSON is a 400, and the API keeps answering', async () => {
    for (const payload of [
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `{"channel":"email","metadata":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`,
      `{"__proto__":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
    ]) {
      expectClientError(await postRaw(payload, { 'idempotency-key': 'deep' }));
    }
    expect((await api.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('__proto__ and constructor.prototype keys are a 400', async () => {
    for (const payload of [
      '{"__proto__":{"isAdmin":true},"channel":"sms","to":"+15551234567","from":"Acme","text":"x"}',
      '{"constructor":{"prototype":{"isAdmin":true}},"channel":"sms"}',
    ]) {
      expectClientError(await postRaw(payload, { 'idempotency-key': 'proto' }));
    }
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('invalid UTF-8 is a 400', async () => {
    expectClientError(
      await postRaw(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { 'idempotency-key': 'utf8' }),
    );
  });
});
