import type { MessageEvent } from '@exactly/contracts';
import { newId, type Orm, openOrm } from '@exactly/persistence';
import { appendToStreams, readTraceparents } from './index.js';

let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl: process.env.DATABASE_URL ?? '', poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
});

const dispatch = (n: number, traceparent?: string): Extract<MessageEvent, { type: 'DispatchRequested' }> => ({
  type: 'DispatchRequested',
  data: { provider: 'log', effectId: `eff_${n}` },
  ...(traceparent === undefined ? {} : { metadata: { traceparent } }),
});

describe('reading where a stream’s trace goes on', () => {
  it('gives the traceparent of each stream’s latest event of the type, and nothing for streams without one', async () => {
    const [redispatched, untraced, missing] = [newId('msg'), newId('msg'), newId('msg')];
    const first = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const latest = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01';
    await orm.em.fork().transactional(async (em) => {
      await appendToStreams(em, [
        { streamId: redispatched, expectedVersion: 0, events: [dispatch(1, first), dispatch(2, latest)] },
        { streamId: untraced, expectedVersion: 0, events: [dispatch(3)] },
      ]);
    });

    const found = await readTraceparents(
      orm.em.fork(),
      [redispatched, untraced, missing, redispatched],
      'DispatchRequested',
    );
    expect([...found]).toEqual([[redispatched, latest]]);
    expect(await readTraceparents(orm.em.fork(), [], 'DispatchRequested')).toEqual(new Map());
  });
});
