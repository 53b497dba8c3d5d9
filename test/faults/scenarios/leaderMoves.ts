import { createKafka } from '@exactly/messaging';
import { duringLoad } from '../harness/duringLoad.ts';
import type { Scenario } from '../harness/runScenario.ts';
import { ensureCluster } from '../injectors/kafkaCluster.ts';
import { moveLeaders } from '../injectors/leaderMoves.ts';
import { type ScratchServers, scratchServers } from './scratchServers.ts';

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
  commands: 1_800,
  load: { ratePerSecond: 40 },
  settleTimeoutMs: 90_000,
  pipeline: { relays: 2, dispatchers: 2 },
  ...scratchServers({ cluster: true }),
  async run(context) {
    const admin = createKafka({ brokers: await ensureCluster(), clientId: 'faults-leader-moves' }).admin();
    await admin.connect();
    const { commands, events } = context.pipeline.topics;
    let rounds = 0;
    try {
      await duringLoad(context.load(), async () => {
        await context.sleep(context.between(1_000, 3_000));
        const moved = await moveLeaders(admin, [commands, events], () => context.random() < 0.5);
        if (moved.length === 0) return;
        rounds += 1;
        context.injected(
          'moved the leader of a partition (out of its replicas, back as a follower)',
          moved.length,
        );
      });
    } finally {
      await admin.disconnect();
    }
    if (rounds === 0) context.problem('no partition leader moved during the load');
  },
};
