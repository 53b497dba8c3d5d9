import { duringLoad } from '../harness/duringLoad.ts';
import type { Scenario } from '../harness/runScenario.ts';
import { type ScratchServers, scratchServers } from './scratchServers.ts';

/** kill -9 of PostgreSQL's postmaster under load, then a restart (crash recovery), three times. */
export const postgresRestart: Scenario<ScratchServers> = {
  name: 'postgres-restart',
  description: "kill -9 of PostgreSQL's postmaster under load and a restart with crash recovery, three times",
  seed: 606,
  commands: 1_500,
  load: { ratePerSecond: 50 },
  ...scratchServers({ postgres: true }),
  async run(context, { postgres }) {
    if (!postgres) throw new Error('needs its own PostgreSQL');
    await duringLoad(
      context.load(),
      async () => {
        await context.sleep(context.between(3_000, 6_000));
        const started = Date.now();
        await postgres.crashAndRestart();
        context.injected(`kill -9 PostgreSQL, back after ${Date.now() - started} ms`);
      },
      3,
    );
  },
};
