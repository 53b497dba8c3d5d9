import { ExactlyError } from '@exactly/errors';
import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS and Node cannot see this enum as a named export.
const { ConfigResourceTypes } = kafkajs;

export interface TopicRetention {
  /** How long Kafka keeps a record after it closes its segment (Infinity: forever). */
  retentionMs: number;
  /** The longest a segment stays open: a record can outlive `retentionMs` by this much. */
  segmentMs: number;
}

/**
 * Reads how long the topic can keep a record. Kafka deletes whole segments, once the newest
 * record in a segment is older than `retention.ms`, so the first record of a segment can live
 * `retention.ms + segment.ms`. A compacted topic keeps some records forever.
 */
export async function readTopicRetention(admin: Admin, topic: string): Promise<TopicRetention> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configNames: ['retention.ms', 'segment.ms', 'cleanup.policy'],
      },
    ],
  });
  const resource = resources[0];
  if (resource === undefined || resource.errorCode !== 0) {
    throw new ExactlyError('unavailable', `cannot read the configuration of topic ${topic}`, {
      details: { topic, error: resource?.errorMessage },
    });
  }
  const value = (name: string) =>
    resource.configEntries.find((entry) => entry.configName === name)?.configValue;
  const retention = Number(value('retention.ms') ?? 604_800_000);
  const compacted = (value('cleanup.policy') ?? 'delete').includes('compact');
  return {
    retentionMs: compacted || retention < 0 ? Number.POSITIVE_INFINITY : retention,
    segmentMs: Number(value('segment.ms') ?? 604_800_000),
  };
}
