import { findApiKey, type Orm, openOrm, runSql } from '@exactly/persistence';
import { exactly } from '../testing/runExactly.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

describe('accounts and keys', () => {
  let orm: Orm;

  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 1 });
  });

  afterAll(async () => {
    await orm.close();
  });

  it('`accounts create <name> --json` prints the account id and its API key, which authenticates', async () => {
    const { code, json } = await exactly(['accounts', 'create', 'Ada Ltd', '--json']);
    expect(code).toBe(0);
    expect(json).toEqual({
      accountId: expect.stringMatching(/^acc_[0-9a-f]{32}$/),
      apiKey: expect.stringMatching(/^ex_[A-Za-z0-9_-]{43}$/),
      keyId: expect.stringMatching(/^key_[0-9a-f]{32}$/),
    });
    expect(await findApiKey(orm.em.fork(), json.apiKey)).toEqual({
      accountId: json.accountId,
      keyId: json.keyId,
    });
  });

  it('`keys create` adds a key, `keys list` shows it without its secret, `keys revoke` stops it', async () => {
    const { accountId, keyId: firstKeyId } = (await exactly(['accounts', 'create', 'Bob Ltd', '--json']))
      .json;
    const added = (await exactly(['keys', 'create', accountId, '--json'])).json;
    expect(added).toEqual({
      accountId,
      apiKey: expect.stringMatching(/^ex_/),
      keyId: expect.stringMatching(/^key_/),
    });

    const listed = await exactly(['keys', 'list', accountId, '--json']);
    expect(listed.json).toEqual([
      expect.objectContaining({ id: firstKeyId, accountId, revokedAt: null }),
      expect.objectContaining({ id: added.keyId, displayPrefix: added.apiKey.slice(0, 10), revokedAt: null }),
    ]);
    expect(listed.stdout).not.toContain(added.apiKey);

    expect((await exactly(['keys', 'revoke', added.keyId])).stdout).toBe(`API key ${added.keyId} revoked\n`);
    expect(await findApiKey(orm.em.fork(), added.apiKey)).toBeUndefined();
    expect((await exactly(['keys', 'revoke', added.keyId])).stdout).toBe(
      `API key ${added.keyId} was already revoked\n`,
    );
    const text = (await exactly(['keys', 'list', accountId])).stdout;
    expect(text).toMatch(new RegExp(`${added.keyId}.*\\d{4}-\\d{2}-\\d{2}T.*\\d{4}-\\d{2}-\\d{2}T`));
  });

  it('`accounts list` shows each account with its key counts; `accounts revoke` revokes every key', async () => {
    const created = (await exactly(['accounts', 'create', 'Carol Ltd', '--json'])).json;
    const second = (await exactly(['keys', 'create', created.accountId, '--json'])).json;
    const before = created.accountId.replace(/.$/, (last: string) =>
      last === '0' ? '/' : String.fromCharCode(last.charCodeAt(0) - 1),
    );
    const listed = (await exactly(['accounts', 'list', '--after', before, '--limit', '1', '--json'])).json;
    expect(listed).toEqual([
      {
        id: created.accountId,
        name: 'Carol Ltd',
        createdAt: expect.any(String),
        activeKeys: 2,
        revokedKeys: 0,
      },
    ]);

    const revoked = await exactly(['accounts', 'revoke', created.accountId, '--json']);
    expect(revoked).toMatchObject({
      code: 0,
      json: { accountId: created.accountId, revokedKeyIds: [created.keyId, second.keyId].sort() },
    });
    expect(await findApiKey(orm.em.fork(), created.apiKey)).toBeUndefined();
    expect(await findApiKey(orm.em.fork(), second.apiKey)).toBeUndefined();
    expect((await exactly(['accounts', 'revoke', created.accountId])).stdout).toMatch(
      /had no active API key/,
    );
  });

  it('refuses an unknown account or key with exit 4 and says where to look; a bad name with exit 2', async () => {
    for (const args of [
      ['keys', 'create', 'acc_00000000000000000000000000000000'],
      ['keys', 'create', 'nonsense'],
      ['keys', 'revoke', 'key_00000000000000000000000000000000'],
      ['accounts', 'revoke', 'acc_00000000000000000000000000000000'],
    ]) {
      const result = await exactly(args);
      expect(result.code).toBe(4);
      expect(result.stderr).toMatch(/does not exist \(see `exactly (accounts|keys) list`\)/);
    }
    const badName = await exactly(['accounts', 'create', '   ']);
    expect(badName).toMatchObject({ code: 2, stderr: expect.stringMatching(/1 to 200 characters/) });
  });

  it('stores only the hash of a key, never the key itself', async () => {
    const { apiKey, keyId } = (await exactly(['accounts', 'create', 'Dan Ltd', '--json'])).json;
    const { rows } = await runSql<{ secret_hash: Buffer; display_prefix: string }>(
      orm.em.fork(),
      'SELECT secret_hash, display_prefix FROM api_keys WHERE id = $1',
      [keyId],
    );
    expect(rows[0]?.secret_hash).toHaveLength(32);
    expect(rows[0]?.secret_hash.toString('utf8')).not.toContain(apiKey);
    expect(rows[0]?.display_prefix).toBe(apiKey.slice(0, 10));
  });
});
