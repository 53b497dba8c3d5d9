import { ExactlyError } from '@exactly/errors';
import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { formatTable, printJson, printLine } from '../output.js';
import { idPattern, positiveNumber } from './arguments.js';
import { contracts, operations } from './lazyModules.js';

export function registerAccountsCommands(program: Command, context: CliContext): void {
  const { out, resources } = context;
  const accounts = program.command('accounts').description('create, list and revoke accounts');

  accounts
    .command('create')
    .description('create an account and its first API key (the key is shown once)')
    .argument('<name>', 'the account holder, for people to read')
    .option('--json', 'print {"accountId","apiKey","keyId"} as JSON')
    .action(async (name: string, options: JsonOption) => {
      const parsed = (await contracts()).storableText(200).trim().min(1).safeParse(name);
      if (!parsed.success)
        throw new ExactlyError('invalid_request', 'the account name must be 1 to 200 characters');
      const issued = await (await operations()).createAccount(await resources.orm(), parsed.data);
      if (options.json)
        printJson(out, { accountId: issued.accountId, apiKey: issued.apiKey, keyId: issued.keyId });
      else
        printLine(
          out,
          `account ${issued.accountId} created\nAPI key ${issued.keyId}: ${issued.apiKey}\n(shown once: store it now)`,
        );
    });

  accounts
    .command('list')
    .description('list accounts, oldest first, with their active and revoked keys')
    .option('--after <account-id>', 'start after this account (paging)')
    .option('--limit <n>', 'at most this many', positiveNumber('--limit', 10_000), 100)
    .option('--json', 'print the accounts as JSON')
    .action(async (options: JsonOption & { after?: string; limit: number }) => {
      const orm = await resources.orm();
      const found = await (await operations()).listAccounts(orm.em.fork(), {
        limit: options.limit,
        ...(options.after ? { after: options.after } : {}),
      });
      if (options.json) return printJson(out, found);
      if (found.length === 0) return printLine(out, 'no accounts');
      printLine(
        out,
        formatTable(
          ['ACCOUNT', 'NAME', 'CREATED', 'ACTIVE KEYS', 'REVOKED KEYS'],
          found.map((account) => [
            account.id,
            account.name,
            account.createdAt,
            account.activeKeys,
            account.revokedKeys,
          ]),
        ),
      );
    });

  accounts
    .command('revoke')
    .description(
      'revoke every API key of an account: it can no longer send (within AUTH_CACHE_TTL); its messages stay',
    )
    .argument('<account-id>', 'the account (acc_...)')
    .option('--json', 'print {"accountId","revokedKeyIds"} as JSON')
    .action(async (accountId: string, options: JsonOption) => {
      const result = idPattern('acc').test(accountId)
        ? await (await operations()).revokeAccountKeys((await resources.orm()).em.fork(), accountId)
        : ({ state: 'not_found' } as const);
      if (result.state === 'not_found')
        throw new ExactlyError(
          'not_found',
          `account ${accountId} does not exist (see \`exactly accounts list\`)`,
        );
      if (options.json) return printJson(out, { accountId, revokedKeyIds: result.keyIds });
      printLine(
        out,
        result.keyIds.length === 0
          ? `account ${accountId} had no active API key`
          : `account ${accountId}: ${result.keyIds.length} API key(s) revoked (${result.keyIds.join(', ')})`,
      );
    });
}
