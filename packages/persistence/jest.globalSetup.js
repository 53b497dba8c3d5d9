// One database per jest run, migrated with this package's own build (jest loads global set-up
// outside its module mapper, so this file stays plain JavaScript).
import { setUpTestRun } from '@exactly/testkit';
import { runMigrations } from './dist/index.js';

export default async function globalSetup() {
  await setUpTestRun(async ({ databaseUrl }) => {
    await runMigrations(databaseUrl);
  });
}
