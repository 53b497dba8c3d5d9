import { createKafka } from '@exactly/messaging';
import type { Admin } from 'kafkajs';
import { duringLoad } from '../harness/duringLoad.ts';
import type { Scenario, ScenarioContext } from '../harness/runScenario.ts';
import { clusterNodes, ensureCluster, healCluster, pauseNode } from '../injectors/kafkaCluster.ts';
import { moveLeaders } from '../injectors/leaderMoves.ts';
import { type ScratchServers, scratchServers } from './scratchServers.ts';

/** What both scenarios share: the cluster, two relays and two dispatchers, 1,800 commands at 40/s. */
const onTheCluster = {
  commands: 1_800,
  load: { ratePerSecond: 40 },
  settleTimeoutMs: 90_000,
  pipeline: { relays: 2, dispatchers: 2 },
  ...scratchServers({ cluster: true }),
};

/**
 * Repeats `round` while the load runs, with an admin client of the cluster and the run's
 * commands and events topics; `round` returns how many leaders it moved. A run in which none
 * moved did not do what it is for.
 */
async function moveLeadersDuringLoad(
  context: ScenarioContext,
  round: (admin: Admin, topics: string[]) => Promise<number>,
): Promise<void> {
  const admin = createKafka({ brokers: await ensureCluster(), clientId: 'faults-leader-moves' }).admin();
  await admin.connect();
  const { commands, events } = context.pipeline.topics;
  let moved = 0;
  try {
    await duringLoad(context.load(), async () => {
      moved += await round(admin, [commands, events]);
    });
  } finally {
    await admin.disconnect();
  }
  if (moved === 0) context.problem('no partition leader moved during the load');
}

/**
 * Partition leaders move while the load runs, and no process stops: every 1–3 s half the
 * partitions of the commands and events topics, chosen at random, lose their leader (taken out
 * of the replicas, then put back as a follower). A produce request in flight to an old leader
 * fails with NOT_LEADER_OR_FOLLOWER while kafkajs' retry already sends to the new one: the case
 * in which its sequence numbers fell behind the broker and a batch was acknowledged without being
 * written (findings/pause-relay-broker-database-719.md). The topic checkers judge it.
 */
export const leaderMoves: Scenario<ScratchServers> = {
  name: 'leader-moves',
  description:
    'leaders of half the commands and events partitions moved every 1–3 s by reassignment (leader out of the replicas, then back as a follower), no process stopped',
  seed: 1818,
  ...onTheCluster,
  async run(context) {
    await moveLeadersDuringLoad(context, async (admin, topics) => {
      await context.sleep(context.between(1_000, 3_000));
      const moved = await moveLeaders(admin, topics, () => context.random() < 0.5);
      if (moved.length > 0) {
        context.injected(
          'moved the leader of a partition (out of its replicas, back as a follower)',
          moved.length,
        );
      }
      return moved.length;
    });
  },
};

/**
 * Leaders move while a broker is stopped: each round stops one Kafka node (SIGSTOP, 6–10 s), so
 * every acks=all write waits for it, and 2 s in moves the leaders of half the partitions it does
 * not lead. Requests to the old leaders, held for the stopped follower, then fail with
 * NOT_LEADER_OR_FOLLOWER at different times, and kafkajs' retry can send the moved partitions
 * to their new leaders while the other requests are still unanswered: the interleaving that fits
 * the offsets of pause-relay-broker-database 719. Meant to provoke it; on the relay before the
 * fix it did not (findings/pause-relay-broker-database-719.md).
 */
export const leaderMovesPausedBroker: Scenario<ScratchServers> = {
  name: 'leader-moves-paused-broker',
  description:
    'one Kafka node stopped (SIGSTOP 6–10 s) and, 2 s in, the leaders of half the partitions it does not lead moved by reassignment, in rounds',
  seed: 1919,
  ...onTheCluster,
  async run(context) {
    try {
      await moveLeadersDuringLoad(context, async (admin, topics) => {
        await context.sleep(context.between(2_000, 4_000));
        const node = clusterNodes[Math.floor(context.random() * clusterNodes.length)];
        if (!node) return 0;
        const ms = context.between(6_000, 10_000);
        context.injected(`SIGSTOP of Kafka node ${node.nodeId} for ${ms} ms`);
        const paused = pauseNode(node, ms);
        await context.sleep(2_000);
        const moved = await moveLeaders(
          admin,
          topics,
          (placement) => placement.leader !== node.nodeId && context.random() < 0.5,
        ).finally(() => paused);
        if (moved.length > 0) {
          context.injected('moved the leader of a partition while a broker was stopped', moved.length);
        }
        return moved.length;
      });
    } finally {
      await healCluster();
    }
  },
};
