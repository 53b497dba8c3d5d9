import { newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { listDeadLetters } from './listDeadLetters.js';
import { redriveDeadLetters } from './redriveDeadLetters.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

async function deadLetter(orm: Orm, code: string, value: string | null, key: string | null = 'acc/k') {
  const topic = `redrive-test-${newId('t')}`;
  const { rows } = await runSql<{ id: string }>(
    orm.em.fork(),
    `INSERT INTO dead_letters (code, reason, source_topic, source_partition, source_offset, kafka_key, headers, value)
     VALUES ($1, 'test', $2, 0, 7, $3, '{"exactly-message-id":"msg_1"}', $4) RETURNING id`,
    [code, topic, key, value === null ? null : Buffer.from(value)],
  );
  return { id: Number(rows[0]?.id), topic };
}

describe('redriving dead letters', () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 4 });
  });
  afterAll(async () => {
    await orm.close();
  });

  it('queues each dead letter once, even when two redrives race, with its key, headers and value', async () => {
    const letter = await deadLetter(orm, 'processing_failed', '{"type":"SendMessage","data":{"n":1}}');
    const [first, second] = await Promise.all([
      redriveDeadLetters({ orm }, { ids: [letter.id] }),
      redriveDeadLetters({ orm }, { ids: [letter.id] }),
    ]);
    expect([first?.[0]?.outcome, second?.[0]?.outcome].sort()).toEqual(['already_redriven', 'redriven']);
    expect(await redriveDeadLetters({ orm }, { ids: [letter.id] })).toEqual([
      { id: letter.id, outcome: 'already_redriven', topic: letter.topic },
    ]);
    const { rows } = await runSql<{ kafka_key: string; payload: unknown; headers: Record<string, string> }>(
      orm.em.fork(),
      'SELECT kafka_key, payload, headers FROM outbox WHERE topic = $1',
      [letter.topic],
    );
    expect(rows).toEqual([
      {
        kafka_key: 'acc/k',
        payload: { type: 'SendMessage', data: { n: 1 } },
        headers: { 'exactly-message-id': 'msg_1', 'exactly-redrive-of': String(letter.id) },
      },
    ]);
    const [listed] = await listDeadLetters(orm.em.fork(), { topic: letter.topic });
    expect(listed).toMatchObject({ id: letter.id, redrivenAt: expect.any(String), notRedrivable: null });
  });

  it('reports what a redrive cannot cure, and ids that do not exist, and sends none of them', async () => {
    const horizon = await deadLetter(orm, 'replay_beyond_horizon', '{"type":"SendMessage"}');
    const garbage = await deadLetter(orm, 'schema_invalid', 'not json');
    const keyless = await deadLetter(orm, 'schema_invalid', '{}', null);
    const outcomes = await redriveDeadLetters(
      { orm },
      { ids: [horizon.id, garbage.id, keyless.id, 999_999_999] },
    );
    expect(outcomes).toEqual([
      { id: horizon.id, outcome: 'not_redrivable', reason: expect.stringMatching(/must never run again/) },
      { id: garbage.id, outcome: 'not_redrivable', reason: 'the record value is not a JSON object' },
      { id: keyless.id, outcome: 'not_redrivable', reason: 'the record had no key' },
      { id: 999_999_999, outcome: 'not_found' },
    ]);
    const { rows } = await runSql<{ count: string }>(
      orm.em.fork(),
      'SELECT count(*) FROM outbox WHERE topic = ANY($1::text[])',
      [[horizon.topic, garbage.topic, keyless.topic]],
    );
    expect(rows[0]?.count).toBe('0');
  });

  it('redrives every pending one of a code with --all, once', async () => {
    const code = `test_code_${newId('c')}`;
    const letters = [await deadLetter(orm, code, '{"a":1}'), await deadLetter(orm, code, '{"a":2}')];
    const outcomes = await redriveDeadLetters({ orm }, { all: true, code });
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['redriven', 'redriven']);
    expect(outcomes.map((outcome) => outcome.id)).toEqual(letters.map((letter) => letter.id));
    expect(await redriveDeadLetters({ orm }, { all: true, code })).toEqual([]);
  });
});
