import { isExactlyError } from '@exactly/errors';
import { newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import Fastify, { type FastifyInstance } from 'fastify';
import { createIdempotencyEngine, type IdempotencyEngine } from './createIdempotencyEngine.js';
import { idempotencyPlugin, keyScopeOf } from './idempotencyPlugin.js';
import { type IdempotencyProfile, resolveProfile } from './idempotencyProfiles.js';
import { requestFingerprint } from './requestFingerprint.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
let orm: Orm;
let accountId: string;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 4 });
  accountId = newId('acc');
  await runSql(orm.em.fork(), 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, 'plugin test']);
  await runSql(orm.em.fork(), 'CREATE TABLE IF NOT EXISTS plugin_test_effects (id text PRIMARY KEY)');
});

afterAll(async () => {
  await orm.close();
});

/** A small API with POST, PUT, PATCH and DELETE routes, all marked idempotent. */
async function appWith(
  profile: IdempotencyProfile,
): Promise<{ app: FastifyInstance; engine: IdempotencyEngine<string> }> {
  const engine = createIdempotencyEngine<string>({
    orm,
    profile,
    leaseMs: 5_000,
    waitTimeoutMs: 5_000,
    writeEffects: async (em, ids) => {
      await runSql(em, 'INSERT INTO plugin_test_effects (id) SELECT unnest($1::text[])', [ids]);
    },
    findWrittenEffects: async (em, ids) => {
      const { rows } = await runSql<{ id: string }>(
        em,
        'SELECT id FROM plugin_test_effects WHERE id = ANY($1)',
        [ids],
      );
      return ids.map((id) => rows.some((row) => row.id === id));
    },
  });
  const app = Fastify();
  app.setErrorHandler((error, _request, reply) =>
    reply
      .code(isExactlyError(error) ? error.status : 500)
      .send({ code: isExactlyError(error) ? error.code : 'internal' }),
  );
  await app.register(idempotencyPlugin, { profile });
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    app.route({
      method,
      url: '/things',
      config: { idempotent: true },
      handler: async (request, reply) => {
        const id = newId('thg');
        return reply.sendIdempotencyOutcome(
          await engine.execute({
            scope: keyScopeOf(request, { accountId, apiKeyId: 'key_plugin' }),
            fingerprint: requestFingerprint(request.method, '/things', request.body),
            requestId: request.id,
            prepare: () => ({
              resourceIds: [id],
              reply: {
                status: 201,
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ id }),
              },
              effect: id,
            }),
          }),
        );
      },
    });
  }
  return { app, engine };
}

async function send(
  app: FastifyInstance,
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  headers: Record<string, string>,
) {
  return app.inject({ method, url: '/things', headers, payload: { name: 'a' } });
}

describe('the idempotency plugin', () => {
  it('honours the key on PATCH and PUT as well as POST when the profile says so (txtly: "POST, PATCH, PUT")', async () => {
    const { app, engine } = await appWith(resolveProfile('txtly'));
    for (const method of ['POST', 'PUT', 'PATCH'] as const) {
      const key = `${method}-${newId('k')}`;
      const first = await send(app, method, { 'idempotency-key': key });
      const retry = await send(app, method, { 'idempotency-key': key });
      expect(first.statusCode).toBe(201);
      expect(retry.json()).toEqual(first.json());
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.headers['original-request-id']).toMatch(/^req-/);
    }
    await app.close();
    await engine.close();
  });

  it('ignores the header on methods outside the profile (txtly: DELETE; pulsewave: PATCH), so each request runs', async () => {
    const txtly = await appWith(resolveProfile('txtly'));
    const pulsewave = await appWith(resolveProfile('pulsewave'));
    for (const [app, method] of [
      [txtly.app, 'DELETE'],
      [pulsewave.app, 'PATCH'],
      [pulsewave.app, 'PUT'],
    ] as const) {
      const first = await send(app, method, { 'idempotency-key': 'same' });
      const second = await send(app, method, { 'idempotency-key': 'same' });
      expect(first.statusCode).toBe(201);
      expect(second.json()).not.toEqual(first.json());
      expect(second.headers['idempotent-replayed']).toBeUndefined();
    }
    for (const { app, engine } of [txtly, pulsewave]) {
      await app.close();
      await engine.close();
    }
  });

  it('refuses two key headers, a bad key, or a missing key where the profile requires one, before anything runs', async () => {
    const { app, engine } = await appWith(resolveProfile('default', { methods: ['POST'] }));
    const twice = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'idempotency-key': ['a', 'b'] as unknown as string },
      payload: {},
    });
    expect([twice.statusCode, twice.json().code]).toEqual([400, 'idempotency_key_invalid']);
    const tooLong = await send(app, 'POST', { 'idempotency-key': 'k'.repeat(256) });
    expect([tooLong.statusCode, tooLong.json().code]).toEqual([400, 'idempotency_key_invalid']);
    const missing = await send(app, 'POST', {});
    expect([missing.statusCode, missing.json().code]).toEqual([400, 'idempotency_key_missing']);
    await app.close();
    await engine.close();
  });
});
