import { duringLoad } from '../harness/duringLoad.ts';
import type { Scenario } from '../harness/runScenario.ts';
import { clusterNodes, healCluster, pauseNode } from '../injectors/kafkaCluster.ts';
import { type ScratchServers, scratchServers } from './scratchServers.ts';

/**
 * Processes that stop answering without dying, one after the other while the load runs: a
 * relay (SIGSTOP past its shard lease, so another relay takes its shards and the paused one wakes
 * up holding a stale claim), a Kafka broker of the three-node cluster, and the whole PostgreSQL
 * server (postmaster and backends, on a scratch server of the scenario's own).
 */
export const pauses: Scenario<ScratchServers> = {
  name: 'pause-relay-broker-database',
  description:
    'SIGSTOP of a relay past its lease, of one Kafka broker of three, and of the whole PostgreSQL server, each 6–10 s, in turn',
  seed: 717,
  commands: 1_800,
  load: { ratePerSecond: 40 },
  settleTimeoutMs: 90_000,
  pipeline: { relays: 2, dispatchers: 2, env: { relay: { RELAY_LEASE_TTL: '3s' } } },
  ...scratchServers({ cluster: true, postgres: true }),
  async run(context, resources) {
    const { postgres } = resources;
    if (!postgres) throw new Error('the scenario needs its scratch PostgreSQL');
    try {
      await duringLoad(
        context.load(),
        async (round) => {
          await context.sleep(context.between(2_000, 4_000));
          const ms = context.between(6_000, 10_000);
          if (round === 0) {
            const relay =
              context.pipeline.relays[Math.floor(context.random() * context.pipeline.relays.length)];
            if (!relay) return;
            context.injected(`SIGSTOP of ${relay.process.name} for ${ms} ms (lease 3 s)`);
            await context.pipeline.freeze(relay, ms);
          } else if (round === 1) {
            const node = clusterNodes[Math.floor(context.random() * clusterNodes.length)];
            if (!node) return;
            context.injected(`SIGSTOP of Kafka node ${node.nodeId} for ${ms} ms`);
            await pauseNode(node, ms);
          } else {
            const processes = await postgres.freeze(ms);
            context.injected(`SIGSTOP of PostgreSQL (${processes} processes) for ${ms} ms`);
          }
        },
        3,
      );
    } finally {
      await healCluster();
    }
  },
};
