import { duringLoad } from '../harness/duringLoad.ts';
import type { Scenario } from '../harness/runScenario.ts';
import { Firewall } from '../injectors/firewall.ts';
import { ensureTools, libfaketime } from '../injectors/systemTools.ts';
import { landed, partitionGids, portsOf } from './oneWayPartitions.ts';
import { type ScratchServers, scratchServers } from './scratchServers.ts';

/**
 * Faults together, as they come in real outages: one dispatcher's clock 90 s ahead for the whole
 * run, another cut off from Kafka (not PostgreSQL) in bursts, while the ingest API, a relay and
 * the third dispatcher are killed with kill -9 at random moments, on the three-node cluster.
 */
export const combinedFaults: Scenario<ScratchServers> = {
  name: 'kill-partition-skew',
  description:
    "dispatcher-1's clock 90 s ahead, dispatcher-0 cut off from Kafka in 6 s bursts, and kill -9 of the ingest API, relay-0 and dispatcher-2 at random moments, all at once",
  seed: 1717,
  commands: 1_500,
  load: { ratePerSecond: 50 },
  settleTimeoutMs: 120_000,
  ...scratchServers({ cluster: true }),
  pipeline: {
    relays: 2,
    dispatchers: 3,
    memberGid: (kind, index) => (kind === 'dispatcher' && index === 0 ? partitionGids.dispatcher : undefined),
    memberEnv: (kind, index): Record<string, string> => {
      if (kind !== 'dispatcher' || index !== 1) return {};
      ensureTools('faketime');
      return { LD_PRELOAD: libfaketime, FAKETIME: '+90s', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
    },
  },
  async run(context) {
    const { pipeline } = context;
    const firewall = new Firewall();
    const brokerPorts = portsOf(pipeline.kafkaBrokers);
    const victims = [pipeline.ingest, pipeline.relays[0], pipeline.dispatchers[2]].filter(
      (member) => member !== undefined,
    );
    context.injected("dispatcher-1's clock 90 s ahead (faketime) for the whole run");
    const load = context.load();
    const partitions = (async () => {
      for (let burst = 0; burst < 3; burst += 1) {
        await context.sleep(context.between(2_000, 6_000));
        firewall.cutOff(partitionGids.dispatcher, brokerPorts);
        context.injected('dispatcher-0 cut off from Kafka, not from PostgreSQL, for 6 s');
        await context.sleep(6_000);
        landed(context, firewall, 'dispatcher-0');
        firewall.clear();
      }
    })();
    try {
      await duringLoad(load, async (round) => {
        await context.sleep(context.between(1_500, 4_000));
        const member = victims[round % victims.length] ?? pipeline.ingest;
        const downMs = context.between(0, 1_500);
        context.injected(`kill -9 ${member.process.name}, back after ${downMs} ms`);
        await pipeline.crash(member, downMs);
      });
      await partitions;
    } finally {
      firewall.remove();
    }
  },
};
