import type { Scenario } from '../harness/runScenario.ts';
import { Firewall } from '../injectors/firewall.ts';
import { clusterNodes } from '../injectors/kafkaCluster.ts';
import { type ScratchServers, scratchServers } from './scratchServers.ts';

/**
 * iptables on loopback, scoped to this run's servers (the cluster's broker ports and the
 * scenario's own PostgreSQL): one broker's port silently dropped, the database's port answered
 * with TCP resets, then packets to every broker and the database dropped at random.
 */
export const networkFaults: Scenario<ScratchServers> = {
  name: 'network-iptables',
  description:
    'iptables: DROP on one broker port (8 s), TCP reset on the database port (4 s), 8% random drop on every broker port and the database port (12 s)',
  seed: 808,
  commands: 2_000,
  load: { ratePerSecond: 40 },
  settleTimeoutMs: 90_000,
  ...scratchServers({ postgres: true, cluster: true }),
  async run(context, { postgres }) {
    if (!postgres) throw new Error('needs its own PostgreSQL');
    const firewall = new Firewall();
    const brokerPorts = clusterNodes.map((node) => node.brokerPort);
    const load = context.load();
    try {
      await context.sleep(context.between(2_000, 4_000));
      const broker = brokerPorts[Math.floor(context.random() * brokerPorts.length)] ?? 19_192;
      firewall.drop([broker]);
      context.injected(`DROP tcp ${broker} (a broker) for 8 s`);
      await context.sleep(8_000);
      firewall.clear();

      await context.sleep(context.between(2_000, 4_000));
      firewall.reset([postgres.port]);
      context.injected(`REJECT --reject-with tcp-reset on tcp ${postgres.port} (PostgreSQL) for 4 s`);
      await context.sleep(4_000);
      firewall.clear();

      await context.sleep(context.between(2_000, 4_000));
      firewall.drop([...brokerPorts, postgres.port], 0.08);
      context.injected(
        `-m statistic --probability 0.08 DROP on tcp ${[...brokerPorts, postgres.port].join(',')} for 12 s`,
      );
      await context.sleep(12_000);
      firewall.clear();
    } finally {
      firewall.remove();
      await load;
    }
  },
};
