import { withDatabase } from '@exactly/testkit';
import type { ScenarioEnvironment } from '../harness/runScenario.ts';
import { ensureCluster } from '../injectors/kafkaCluster.ts';
import { ScratchPostgres } from '../injectors/scratchPostgres.ts';

export interface ScratchServers {
  postgres?: ScratchPostgres;
}

/** A scenario's set-up: its own PostgreSQL (on a tmpfs of `tmpfsMb` when given) and/or the three-node cluster. */
export function scratchServers(options: { postgres?: boolean; tmpfsMb?: number; cluster?: boolean }) {
  return {
    async setUp(base: ScenarioEnvironment) {
      const kafkaBrokers = options.cluster ? await ensureCluster() : base.kafkaBrokers;
      const postgres = options.postgres
        ? await ScratchPostgres.start(options.tmpfsMb === undefined ? {} : { tmpfsMb: options.tmpfsMb })
        : undefined;
      const databaseUrl = postgres ? withDatabase(postgres.url, 'exactly') : base.databaseUrl;
      return { environment: { databaseUrl, kafkaBrokers }, resources: postgres ? { postgres } : {} };
    },
    async release(resources: ScratchServers) {
      await resources.postgres?.stop();
    },
  };
}
