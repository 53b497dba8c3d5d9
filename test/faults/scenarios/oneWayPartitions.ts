import type { Scenario, ScenarioContext } from '../harness/runScenario.ts';
import { Firewall } from '../injectors/firewall.ts';
import { type ScratchServers, scratchServers } from './scratchServers.ts';

/** Process groups of the members that get cut off (any free gid: root keeps its file access). */
export const partitionGids = { dispatcher: 23_001, relay: 23_002 } as const;

export const portsOf = (addresses: readonly string[]) =>
  addresses.map((address) => Number(address.slice(address.lastIndexOf(':') + 1)));

/** Reports the packets a partition dropped; none means it cut nothing off, and the scenario proves nothing. */
export function landed(context: ScenarioContext, firewall: Firewall, member: string): void {
  const packets = firewall.cutOffPackets();
  context.injected(`${packets} packets of ${member} dropped (iptables counters)`, 0);
  if (packets === 0) context.problem(`no packet of ${member} was dropped: the partition did not land`);
}

/**
 * One-way partitions between chosen processes, by iptables' owner match on the process group:
 * a dispatcher cut off from every Kafka broker while it still reaches PostgreSQL (its group's
 * session ends and the others take its partitions, while its effect workers still call the
 * provider), then a relay cut off from PostgreSQL while it still reaches Kafka (its shard leases
 * lapse mid-publish and the other relay takes them over), each for 12 s, on the three-node cluster.
 */
export const oneWayPartitions: Scenario<ScratchServers> = {
  name: 'one-way-partitions',
  description:
    'a dispatcher cut off from every Kafka broker but not PostgreSQL (12 s), then a relay cut off from PostgreSQL but not Kafka (12 s): iptables owner match on each process group',
  seed: 1616,
  commands: 1_500,
  load: { ratePerSecond: 50 },
  settleTimeoutMs: 120_000,
  ...scratchServers({ cluster: true }),
  pipeline: {
    relays: 2,
    dispatchers: 3,
    memberGid: (kind, index) =>
      index === 0 && (kind === 'dispatcher' || kind === 'relay') ? partitionGids[kind] : undefined,
  },
  async run(context) {
    const firewall = new Firewall();
    const brokerPorts = portsOf(context.pipeline.kafkaBrokers);
    const databasePort = Number(new URL(context.pipeline.databaseUrl).port);
    const load = context.load();
    try {
      await context.sleep(context.between(3_000, 5_000));
      firewall.cutOff(partitionGids.dispatcher, brokerPorts);
      context.injected(
        `dispatcher-0 cut off from Kafka (${brokerPorts.join(',')}), not from PostgreSQL, for 12 s`,
      );
      await context.sleep(12_000);
      landed(context, firewall, 'dispatcher-0');
      firewall.clear();

      await context.sleep(context.between(3_000, 5_000));
      firewall.cutOff(partitionGids.relay, [databasePort]);
      context.injected(`relay-0 cut off from PostgreSQL (${databasePort}), not from Kafka, for 12 s`);
      await context.sleep(12_000);
      landed(context, firewall, 'relay-0');
      firewall.clear();
    } finally {
      firewall.remove();
      await load;
    }
  },
};
