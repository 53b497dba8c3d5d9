import { findApiKey, type Orm, openOrm } from '@exactly/persistence';
import { createProgram } from './createProgram.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

async function run(...args: string[]): Promise<string> {
  const printed: string[] = [];
  await createProgram({ databaseUrl, print: (text) => printed.push(text) }).parseAsync(args, {
    from: 'user',
  });
  return printed.join('\n');
}

describe('the exactly command line', () => {
  let orm: Orm;

  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 1 });
  });

  afterAll(async () => {
    await orm.close();
  });

  it('`accounts create <name> --json` prints the account id and its API key, which authenticates', async () => {
    const created = JSON.parse(await run('accounts', 'create', 'Ada Ltd', '--json'));
    expect(created).toEqual({
      accountId: expect.stringMatching(/^acc_[0-9a-f]{32}$/),
      apiKey: expect.stringMatching(/^ex_[A-Za-z0-9_-]{43}$/),
      keyId: expect.stringMatching(/^key_[0-9a-f]{32}$/),
    });
    expect(await findApiKey(orm.em.fork(), created.apiKey)).toEqual({
      accountId: created.accountId,
      keyId: created.keyId,
    });
  });

  it('`keys create <account-id> --json` adds another key; `keys revoke <key-id>` makes it stop authenticating', async () => {
    const { accountId } = JSON.parse(await run('accounts', 'create', 'Bob Ltd', '--json'));
    const added = JSON.parse(await run('keys', 'create', accountId, '--json'));
    expect(added).toEqual({
      accountId,
      apiKey: expect.stringMatching(/^ex_/),
      keyId: expect.stringMatching(/^key_/),
    });
    expect(await run('keys', 'revoke', added.keyId)).toBe(`API key ${added.keyId} revoked`);
    expect(await findApiKey(orm.em.fork(), added.apiKey)).toBeUndefined();
    expect(await run('keys', 'revoke', added.keyId)).toBe(`API key ${added.keyId} was already revoked`);
  });

  it('refuses an unknown account or key with a clear message', async () => {
    await expect(run('keys', 'create', 'acc_00000000000000000000000000000000')).rejects.toThrow(
      /does not exist/,
    );
    await expect(run('keys', 'create', 'nonsense')).rejects.toThrow(/does not exist/);
    await expect(run('keys', 'revoke', 'key_00000000000000000000000000000000')).rejects.toThrow(
      /does not exist/,
    );
    await expect(run('accounts', 'create', '   ')).rejects.toThrow(/1 to 200 characters/);
  });

  it('stores only the hash of a key, never the key itself', async () => {
    const { apiKey, keyId } = JSON.parse(await run('accounts', 'create', 'Carol Ltd', '--json'));
    const [row] = await orm.em
      .fork()
      .execute<{ secret_hash: Buffer; display_prefix: string }[]>(
        `SELECT secret_hash, display_prefix FROM api_keys WHERE id = '${keyId}'`,
      );
    expect(row?.secret_hash).toHaveLength(32);
    expect(row?.secret_hash.toString('utf8')).not.toContain(apiKey);
    expect(row?.display_prefix).toBe(apiKey.slice(0, 10));
  });
});
