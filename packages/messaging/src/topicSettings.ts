import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS and Node cannot see this export by name: take it from the module object.
const { ConfigResourceTypes } = kafkajs;

/** How a topic should be: what `ensureTopics` creates, and what an existing topic is compared with. */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** Omitted: the cluster's `default.replication.factor`, and no comparison. */
  replicationFactor?: number;
  /** `retention.ms`; omitted: the broker default, and no comparison. */
  retentionMs?: number;
  /** `max.message.bytes`; omitted: the broker default, and no comparison. */
  maxMessageBytes?: number;
  /** `min.insync.replicas`; omitted: the broker default, and no comparison. */
  minInsyncReplicas?: number;
}

/** What a topic is on the cluster. `retentionMs` is `Infinity` for `retention.ms=-1`. */
export interface TopicSettings {
  name: string;
  partitions: number;
  replicationFactor: number;
  retentionMs: number;
  maxMessageBytes: number;
  minInsyncReplicas: number;
}

/** One setting of an existing topic that is weaker than configured. */
export interface TopicWeakness {
  topic: string;
  setting: 'partitions' | 'replication.factor' | 'retention.ms' | 'max.message.bytes' | 'min.insync.replicas';
  configured: number;
  actual: number;
}

const configNames = ['retention.ms', 'max.message.bytes', 'min.insync.replicas'];

/** Reads partitions, replication factor and the configs `TopicSpec` knows, for existing topics. */
export async function readTopicSettings(admin: Admin, topics: readonly string[]): Promise<TopicSettings[]> {
  if (topics.length === 0) return [];
  const [metadata, configs] = await Promise.all([
    admin.fetchTopicMetadata({ topics: [...topics] }),
    admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames })),
    }),
  ]);
  return topics.map((name) => {
    const partitions = metadata.topics.find((topic) => topic.name === name)?.partitions ?? [];
    const entries = configs.resources.find((resource) => resource.resourceName === name)?.configEntries ?? [];
    const config = (key: string) => Number(entries.find((entry) => entry.configName === key)?.configValue);
    const retention = config('retention.ms');
    return {
      name,
      partitions: partitions.length,
      replicationFactor: Math.min(...partitions.map((partition) => partition.replicas.length)),
      retentionMs: retention < 0 ? Number.POSITIVE_INFINITY : retention,
      maxMessageBytes: config('max.message.bytes'),
      minInsyncReplicas: config('min.insync.replicas'),
    };
  });
}

/**
 * The settings of `actual` weaker than `spec` asks for: fewer partitions or replicas, shorter
 * retention, a smaller maximum message size or a lower `min.insync.replicas`. More is never weaker.
 */
export function weakerSettings(spec: TopicSpec, actual: TopicSettings): TopicWeakness[] {
  const checks: [TopicWeakness['setting'], number | undefined, number][] = [
    ['partitions', spec.partitions, actual.partitions],
    ['replication.factor', spec.replicationFactor, actual.replicationFactor],
    ['retention.ms', spec.retentionMs, actual.retentionMs],
    ['max.message.bytes', spec.maxMessageBytes, actual.maxMessageBytes],
    ['min.insync.replicas', spec.minInsyncReplicas, actual.minInsyncReplicas],
  ];
  return checks
    .filter(([, configured, value]) => configured !== undefined && value < configured)
    .map(([setting, configured, value]) => ({
      topic: spec.name,
      setting,
      configured: configured as number,
      actual: value,
    }));
}
