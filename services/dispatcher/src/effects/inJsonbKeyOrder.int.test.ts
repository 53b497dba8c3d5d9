import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { emailTo } from '../testing/seedCommands.js';
import { databaseUrl } from '../testing/testDispatcher.js';
import { inJsonbKeyOrder } from './inJsonbKeyOrder.js';

describe('a request in jsonb key order', () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 1 });
  });
  afterAll(async () => {
    await orm.close();
  });

  it('serialises to the very bytes of the same request read back from a jsonb column', async () => {
    const requests: unknown[] = [
      emailTo(7),
      {
        ...emailTo(8),
        html: '<p>é</p>',
        variables: { name: 'Ada', zeta: [{ b: 1, a: 2 }], ä: 'x', aa: null },
      },
      { channel: 'sms', to: '+15551234567', from: 'Acme', text: 'hi', omitted: undefined },
    ];
    for (const request of requests) {
      const { rows } = await runSql<{ request: unknown }>(orm.em.fork(), 'SELECT $1::jsonb AS request', [
        JSON.stringify(request),
      ]);
      expect(JSON.stringify(inJsonbKeyOrder(request))).toBe(JSON.stringify(rows[0]?.request));
    }
  });
});
