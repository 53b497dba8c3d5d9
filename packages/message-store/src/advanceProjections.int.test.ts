import { Account, newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { advanceProjections } from './advanceProjections.js';
import { newMessagesStatement } from './newMessagesStatement.js';
import { updateProjections } from './projectionUpdate.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 4 });
});

afterAll(async () => {
  await orm.close();
});

/** A message row dispatching at version 2, as the dispatcher leaves it. */
async function dispatchingMessage(): Promise<string> {
  const id = newId('msg');
  const accountId = newId('acc');
  await orm.em.fork().transactional(async (em) => {
    em.create(Account, { id: accountId, name: 'advance' });
    await em.flush();
    const insert = newMessagesStatement([
      {
        id,
        accountId,
        messageKey: id,
        channel: 'sms',
        recipient: '+15551234567',
        sender: 'ACME',
        content: {},
        createdAt: new Date(),
      },
    ]);
    await runSql(em, insert.text, insert.parameters);
    await updateProjections(em, [{ id, status: 'dispatching', version: 2 }]);
  });
  return id;
}

async function projection(id: string) {
  const { rows } = await runSql<{ status: string; version: number }>(
    orm.em.fork(),
    'SELECT status, version FROM messages WHERE id = $1',
    [id],
  );
  return rows[0];
}

describe('advancing projections with replayed events', () => {
  it('folds held messages and the operator decisions on them, as the live writers do', async () => {
    const [held, settled] = [await dispatchingMessage(), await dispatchingMessage()];
    const advance = await advanceProjections(orm, [
      { streamId: held, version: 3, type: 'MessageHeld' },
      { streamId: settled, version: 4, type: 'OperatorMarkedSent' },
      { streamId: settled, version: 3, type: 'MessageHeld' },
    ]);
    expect(await projection(held)).toEqual({ status: 'held', version: 3 });
    expect(await projection(settled)).toEqual({ status: 'sent', version: 4 });
    expect(advance).toEqual({ applied: 3, alreadyApplied: 0, gaps: 0, missingRows: 0, rowsChanged: 2 });
  });

  it('skips what the projection has, counts gaps and streams without a row, and changes nothing twice', async () => {
    const id = await dispatchingMessage();
    const events = [
      { streamId: id, version: 2, type: 'DispatchRequested' },
      { streamId: id, version: 3, type: 'ProviderAccepted' },
      { streamId: id, version: 5, type: 'SomethingNew' },
      { streamId: newId('msg'), version: 1, type: 'MessageAccepted' },
    ];
    expect(await advanceProjections(orm, events)).toEqual({
      applied: 1,
      alreadyApplied: 1,
      gaps: 1,
      missingRows: 1,
      rowsChanged: 1,
    });
    expect(await projection(id)).toEqual({ status: 'sent', version: 3 });
    expect(await advanceProjections(orm, events)).toMatchObject({
      applied: 0,
      alreadyApplied: 2,
      rowsChanged: 0,
    });
  });
});
