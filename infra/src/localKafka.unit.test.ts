import { kafkaTopology, newClusterId, serverProperties } from './localKafka.js';

const property = (text: string, name: string) =>
  new RegExp(`^${name.replaceAll('.', '\\.')}=(.*)$`, 'm').exec(text)?.[1];

describe('the single-node topology', () => {
  const topology = kafkaTopology('single');
  const properties = serverProperties(topology, topology.nodes[0] ?? topology.nodes[0]!);

  it('is one combined broker and controller on loopback', () => {
    expect(topology.brokers).toEqual(['127.0.0.1:19092']);
    expect(property(properties, 'process.roles')).toBe('broker,controller');
    expect(property(properties, 'listeners')).toBe(
      'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
    );
  });

  it('lets the internal topics be created with one replica', () => {
    expect(property(properties, 'offsets.topic.replication.factor')).toBe('1');
    expect(property(properties, 'transaction.state.log.replication.factor')).toBe('1');
    expect(property(properties, 'transaction.state.log.min.isr')).toBe('1');
  });

  it('checks for expired segments hourly, so a topic with a 1 s retention keeps its records through a test', () => {
    expect(property(properties, 'log.retention.check.interval.ms')).toBe('3600000');
  });
});

describe('the three-node topology', () => {
  const topology = kafkaTopology('cluster');

  it('has three nodes on distinct loopback ports, every one a voter', () => {
    const ports = topology.nodes.flatMap((node) => [node.brokerPort, node.controllerPort]);
    expect(new Set(ports).size).toBe(6);
    for (const node of topology.nodes) {
      expect(property(serverProperties(topology, node), 'controller.quorum.voters')).toBe(
        '1@127.0.0.1:19193,2@127.0.0.1:19293,3@127.0.0.1:19393',
      );
    }
  });

  it('replicates three times and needs two in-sync replicas', () => {
    const properties = serverProperties(topology, topology.nodes[1]!);
    expect(property(properties, 'default.replication.factor')).toBe('3');
    expect(property(properties, 'min.insync.replicas')).toBe('2');
    expect(property(properties, 'offsets.topic.replication.factor')).toBe('3');
  });
});

describe('a new KRaft cluster id', () => {
  it('never starts with "-", which kafka-storage would read as an option', () => {
    // f8… encodes to a base64url string starting with "-": the case that failed to format.
    const uuids = ['f8000000-0000-4000-8000-000000000000', '12345678-1234-4234-8234-123456789abc'];
    const id = newClusterId(() => uuids.shift() ?? '');
    // The first would be "-AAAAAAAQACAAAAAAAAAAA": it is skipped for the next.
    expect(id).toBe('EjRWeBI0QjSCNBI0VniavA');
  });
});
