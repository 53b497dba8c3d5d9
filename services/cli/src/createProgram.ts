import { storableText } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import { issueApiKey, type Orm, openOrm, revokeApiKey } from '@exactly/persistence';
import { Command } from 'commander';
import { createAccount } from './createAccount.js';

export interface ProgramDependencies {
  databaseUrl: string;
  /** Where results go (stdout); errors are thrown for `main` to print. */
  print: (text: string) => void;
}

const accountName = storableText(200).trim().min(1);
const idPattern = (prefix: string) => new RegExp(`^${prefix}_[0-9a-f]{32}$`);

/**
 * `exactly`: the operator's command line. This version manages accounts and API keys; an API
 * key's secret is printed once and only its SHA-256 is stored.
 */
export function createProgram({ databaseUrl, print }: ProgramDependencies): Command {
  const withOrm = async <T>(work: (orm: Orm) => Promise<T>): Promise<T> => {
    const orm = await openOrm({ databaseUrl, poolSize: 1 });
    try {
      return await work(orm);
    } finally {
      await orm.close();
    }
  };
  const program = new Command('exactly')
    .description("Exactly's operator command line")
    .showHelpAfterError()
    .exitOverride();

  const accounts = program.command('accounts').description('manage accounts');
  accounts
    .command('create')
    .description('create an account and its first API key (the key is shown once)')
    .argument('<name>', 'the account holder, for people to read')
    .option('--json', 'print {"accountId","apiKey","keyId"} as JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const parsed = accountName.safeParse(name);
      if (!parsed.success)
        throw new ExactlyError('invalid_request', 'the account name must be 1 to 200 characters');
      const issued = await withOrm((orm) => createAccount(orm, parsed.data));
      print(
        options.json
          ? JSON.stringify({ accountId: issued.accountId, apiKey: issued.apiKey, keyId: issued.keyId })
          : `account ${issued.accountId} created\nAPI key ${issued.keyId}: ${issued.apiKey}\n(shown once: store it now)`,
      );
    });

  const keys = program.command('keys').description('manage API keys');
  keys
    .command('create')
    .description('add an API key to an account (the key is shown once)')
    .argument('<account-id>', 'the account (acc_...)')
    .option('--json', 'print {"accountId","apiKey","keyId"} as JSON')
    .action(async (accountId: string, options: { json?: boolean }) => {
      if (!idPattern('acc').test(accountId))
        throw new ExactlyError('not_found', `account ${accountId} does not exist`);
      const issued = await withOrm((orm) => issueApiKey(orm.em.fork(), accountId));
      print(
        options.json
          ? JSON.stringify({ accountId: issued.accountId, apiKey: issued.apiKey, keyId: issued.keyId })
          : `API key ${issued.keyId} for ${issued.accountId}: ${issued.apiKey}\n(shown once: store it now)`,
      );
    });
  keys
    .command('revoke')
    .description('revoke an API key: requests with it get 401 (within AUTH_CACHE_TTL of each ingest API)')
    .argument('<key-id>', 'the key (key_...)')
    .option('--json', 'print {"keyId","state"} as JSON')
    .action(async (keyId: string, options: { json?: boolean }) => {
      const state = idPattern('key').test(keyId)
        ? await withOrm((orm) => revokeApiKey(orm.em.fork(), keyId))
        : 'not_found';
      if (state === 'not_found') throw new ExactlyError('not_found', `API key ${keyId} does not exist`);
      print(
        options.json
          ? JSON.stringify({ keyId, state })
          : state === 'revoked'
            ? `API key ${keyId} revoked`
            : `API key ${keyId} was already revoked`,
      );
    });
  return program;
}
