import { duringLoad } from '../harness/duringLoad.ts';
import type { Scenario } from '../harness/runScenario.ts';
import {
  activeController,
  clusterNodes,
  healCluster,
  killNode,
  restartNode,
} from '../injectors/kafkaCluster.ts';
import { type ScratchServers, scratchServers } from './scratchServers.ts';

/**
 * The three-node cluster (RF 3, min ISR 2) loses one node to kill -9 and gets it back, then
 * loses the node of the active KRaft controller and gets it back, while the load runs.
 */
export const kafkaNodes: Scenario<ScratchServers> = {
  name: 'kafka-node-and-controller',
  description:
    'kill -9 of one Kafka node of three and its restart, then of the active controller’s node and its restart',
  seed: 707,
  commands: 1_800,
  load: { ratePerSecond: 40 },
  settleTimeoutMs: 90_000,
  ...scratchServers({ cluster: true }),
  async run(context) {
    try {
      await duringLoad(
        context.load(),
        async (round) => {
          await context.sleep(context.between(3_000, 5_000));
          const controller = await activeController();
          const others = clusterNodes.filter((node) => node.nodeId !== controller.nodeId);
          const victim =
            round === 0 ? (others[Math.floor(context.random() * others.length)] ?? controller) : controller;
          const downMs = context.between(4_000, 8_000);
          await killNode(victim);
          context.injected(
            `kill -9 Kafka node ${victim.nodeId}${victim === controller ? ' (the active controller)' : ''}, back after ${downMs} ms`,
          );
          await context.sleep(downMs);
          await restartNode(victim);
        },
        2,
      );
    } finally {
      await healCluster();
    }
  },
};
