import { ExactlyError } from '@exactly/errors';
import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { formatTable, printJson, printLine } from '../output.js';
import { idPattern, positiveNumber } from './arguments.js';
import { operations, persistence } from './lazyModules.js';

export function registerKeysCommands(program: Command, context: CliContext): void {
  const { out, resources } = context;
  const keys = program.command('keys').description('create, list and revoke API keys');

  keys
    .command('create')
    .description('add an API key to an account (the key is shown once)')
    .argument('<account-id>', 'the account (acc_...)')
    .option('--json', 'print {"accountId","apiKey","keyId"} as JSON')
    .action(async (accountId: string, options: JsonOption) => {
      if (!idPattern('acc').test(accountId))
        throw new ExactlyError(
          'not_found',
          `account ${accountId} does not exist (see \`exactly accounts list\`)`,
        );
      const orm = await resources.orm();
      const issued = await (await persistence())
        .issueApiKey(orm.em.fork(), accountId)
        .catch((error: unknown) => {
          if ((error as ExactlyError).code === 'not_found')
            throw new ExactlyError(
              'not_found',
              `account ${accountId} does not exist (see \`exactly accounts list\`)`,
            );
          throw error;
        });
      if (options.json)
        printJson(out, { accountId: issued.accountId, apiKey: issued.apiKey, keyId: issued.keyId });
      else
        printLine(
          out,
          `API key ${issued.keyId} for ${issued.accountId}: ${issued.apiKey}\n(shown once: store it now)`,
        );
    });

  keys
    .command('list')
    .description(
      'list API keys (of one account, or all), with their prefix and revocation time; never the secret',
    )
    .argument('[account-id]', 'only this account’s keys')
    .option('--after <key-id>', 'start after this key (paging)')
    .option('--limit <n>', 'at most this many', positiveNumber('--limit', 10_000), 100)
    .option('--json', 'print the keys as JSON')
    .action(
      async (accountId: string | undefined, options: JsonOption & { after?: string; limit: number }) => {
        const found = await (await operations()).listApiKeys((await resources.orm()).em.fork(), {
          limit: options.limit,
          ...(accountId ? { accountId } : {}),
          ...(options.after ? { after: options.after } : {}),
        });
        if (options.json) return printJson(out, found);
        if (found.length === 0)
          return printLine(out, accountId ? `account ${accountId} has no API keys` : 'no API keys');
        printLine(
          out,
          formatTable(
            ['KEY', 'ACCOUNT', 'PREFIX', 'CREATED', 'REVOKED'],
            found.map((key) => [
              key.id,
              key.accountId,
              `${key.displayPrefix}…`,
              key.createdAt,
              key.revokedAt,
            ]),
          ),
        );
      },
    );

  keys
    .command('revoke')
    .description('revoke an API key: requests with it get 401 (within AUTH_CACHE_TTL of each ingest API)')
    .argument('<key-id>', 'the key (key_...)')
    .option('--json', 'print {"keyId","state"} as JSON')
    .action(async (keyId: string, options: JsonOption) => {
      const state = idPattern('key').test(keyId)
        ? await (await persistence()).revokeApiKey((await resources.orm()).em.fork(), keyId)
        : 'not_found';
      if (state === 'not_found')
        throw new ExactlyError('not_found', `API key ${keyId} does not exist (see \`exactly keys list\`)`);
      if (options.json) printJson(out, { keyId, state });
      else
        printLine(
          out,
          state === 'revoked' ? `API key ${keyId} revoked` : `API key ${keyId} was already revoked`,
        );
    });
}
