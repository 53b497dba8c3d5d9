#!/usr/bin/env node
import { postgresUrl, readConfig } from '@exactly/config';
import { toExactlyError } from '@exactly/errors';
import { z } from 'zod';
import { runMigrations } from './runMigrations.js';

// `exactly-migrate`: applies pending migrations to DATABASE_URL.
try {
  const { DATABASE_URL } = readConfig(z.object({ DATABASE_URL: postgresUrl }));
  const applied = await runMigrations(DATABASE_URL);
  console.log(applied.length === 0 ? 'migrations: up to date' : `migrations: applied ${applied.join(', ')}`);
} catch (thrown) {
  console.error(`migrations failed: ${toExactlyError(thrown).message}`);
  process.exitCode = 1;
}
