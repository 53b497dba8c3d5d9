import type { Scenario } from '../harness/runScenario.ts';
import { type ScratchServers, scratchServers } from './scratchServers.ts';

/**
 * PostgreSQL's data lives on a small tmpfs, which is filled to the last byte under load for 8 s
 * and then emptied. While the disk is full nothing may be acknowledged that is not stored
 * (PostgreSQL refuses writes or stops); afterwards the server is brought back if it stopped, and
 * everything acknowledged must be sent once.
 */
export const diskFull: Scenario<ScratchServers> = {
  name: 'database-disk-full',
  description: "PostgreSQL's disk (a 384 MB tmpfs) filled to the last byte under load for 8 s, then freed",
  seed: 1414,
  commands: 1_500,
  load: { ratePerSecond: 40 },
  settleTimeoutMs: 90_000,
  ...scratchServers({ postgres: true, tmpfsMb: 384 }),
  async run(context, { postgres }) {
    if (!postgres) throw new Error('needs its own PostgreSQL');
    const load = context.load();
    try {
      await context.sleep(context.between(4_000, 6_000));
      const filled = await postgres.fillDisk();
      context.injected(`disk full (${Math.round(filled / 1_048_576)} MB of zeros) for 8 s`);
      const before = context.history.attempts.length;
      await context.sleep(8_000);
      const during = context.history.attempts.slice(before);
      const refused = during.filter((attempt) => attempt.outcome !== 'ok').length;
      context.injected(`${refused} client attempts refused or failed while the disk was full`, 0);
      if (refused === 0) context.problem('no request failed while the disk was full: the fault did not land');
    } finally {
      await postgres.freeDisk();
      await postgres.ensureRunning();
      context.injected('disk freed (PostgreSQL started again if it had stopped)', 0);
      await load;
    }
  },
};
