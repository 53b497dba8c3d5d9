// What the figures were measured with: PostgreSQL's durability and WAL settings (SHOW) and
// Kafka's (the broker's defaults and a topic created the way the bench creates them). A figure
// taken with fsync off or acks 1 is not the figure of the design; the report states these.

import { randomUUID } from 'node:crypto';
import { createKafka, readTopicSettings } from '@exactly/messaging';
import kafkajs from 'kafkajs';
import { adminQuery, kafkaBrokers } from './environment.ts';

export interface MeasuredWith {
  postgres: Record<string, string>;
  kafka: {
    /** The producers' acks: the relay's and the bench's raw producer (-1 = all). */
    producerAcks: string;
    brokers: number;
    /** A topic created by the bench with the cluster's defaults, as read back. */
    topicReplicationFactor: number;
    topicMinInsyncReplicas: number;
    broker: Record<string, string>;
  };
}

const { ConfigResourceTypes } = kafkajs;

const postgresSettings = [
  'fsync',
  'synchronous_commit',
  'wal_level',
  'full_page_writes',
  'wal_sync_method',
  'shared_buffers',
  'max_wal_size',
];
const brokerSettings = ['default.replication.factor', 'min.insync.replicas', 'log.flush.interval.messages'];

export async function measuredWith(): Promise<MeasuredWith> {
  const postgres: Record<string, string> = {};
  for (const name of postgresSettings) {
    const [row] = await adminQuery<Record<string, string>>(`SHOW ${name}`);
    postgres[name] = row ? String(Object.values(row)[0]) : 'unknown';
  }
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId: 'bench-measured-with' });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-settings-${randomUUID().slice(0, 8)}`;
  try {
    const cluster = await admin.describeCluster();
    const broker: Record<string, string> = {};
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.BROKER,
          name: String(cluster.brokers[0]?.nodeId ?? 1),
          configNames: brokerSettings,
        },
      ],
    });
    for (const entry of configs.resources[0]?.configEntries ?? [])
      broker[entry.configName] = entry.configValue;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const [settings] = await readTopicSettings(admin, [topic]);
    return {
      postgres,
      kafka: {
        producerAcks: '-1 (all), idempotent, one request in flight',
        brokers: cluster.brokers.length,
        topicReplicationFactor: settings?.replicationFactor ?? Number.NaN,
        topicMinInsyncReplicas: settings?.minInsyncReplicas ?? Number.NaN,
        broker,
      },
    };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}
