#!/usr/bin/env node
import { postgresUrl, readConfig } from '@exactly/config';
import { isExactlyError, toExactlyError } from '@exactly/errors';
import { CommanderError } from 'commander';
import { z } from 'zod';
import { createProgram } from './createProgram.js';

const localDatabaseUrl = 'postgres://postgres:exactly@127.0.0.1:54320/exactly';

try {
  const { DATABASE_URL } = readConfig(z.object({ DATABASE_URL: postgresUrl.default(localDatabaseUrl) }));
  const program = createProgram({ databaseUrl: DATABASE_URL, print: (text) => console.log(text) });
  await program.parseAsync(process.argv);
} catch (thrown) {
  if (thrown instanceof CommanderError) {
    // Commander printed the usage or the error itself; help and version exit 0.
    process.exitCode = thrown.exitCode;
  } else {
    const error = toExactlyError(thrown);
    console.error(
      `exactly: ${isExactlyError(thrown) ? error.message : `unexpected error: ${error.message}`}`,
    );
    process.exitCode = 1;
  }
}
