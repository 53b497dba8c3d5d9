// One database per jest run, migrated (jest loads global set-up
// outside its module mapper, so this file stays plain JavaScript).

import { runMigrations } from '@exactly/persistence';
import { setUpTestRun } from '@exactly/testkit';

export default async function globalSetup() {
  await setUpTestRun(async ({ databaseUrl }) => {
    await runMigrations(databaseUrl);
  });
}
