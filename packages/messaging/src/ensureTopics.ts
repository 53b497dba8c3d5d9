import type { Admin, ITopicConfig } from 'kafkajs';
import { retryKafkaErrors } from './retryKafkaErrors.js';
import {
  readTopicSettings,
  type TopicSettings,
  type TopicSpec,
  type TopicWeakness,
  weakerSettings,
} from './topicSettings.js';

export interface EnsuredTopics {
  /** Topics this call created. */
  created: string[];
  /** Every topic's settings as they are on the cluster now. */
  settings: TopicSettings[];
  /** Settings of topics that already existed and are weaker than their spec (never changed here). */
  weaker: TopicWeakness[];
}

/**
 * Creates the topics that do not exist yet, with their spec's partitions, replication factor,
 * retention and maximum message size, and reports existing topics whose settings are weaker
 * than the spec. Existing topics are never altered: adding partitions would move keys to other
 * partitions and break their order. Safe to run from several processes at once.
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<EnsuredTopics> {
  const existing = new Set(await admin.listTopics());
  const created: string[] = [];
  for (const spec of specs) {
    if (existing.has(spec.name)) continue;
    // One call per topic: `false` means another process created it first.
    if (await admin.createTopics({ topics: [topicConfig(spec)], waitForLeaders: true }))
      created.push(spec.name);
  }
  const settings = await settledTopicSettings(
    admin,
    specs.map((spec) => spec.name),
  );
  const weaker = specs
    .filter((spec) => existing.has(spec.name))
    .flatMap((spec) => {
      const actual = settings.find((topic) => topic.name === spec.name);
      return actual ? weakerSettings(spec, actual) : [];
    });
  return { created, settings, weaker };
}

/** A topic another process created a moment ago may have no leaders yet: metadata says so until then. */
const notReadyYet = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** The topics' settings, asked again (up to 10 times, 200 ms apart) while a topic is not ready yet. */
function settledTopicSettings(admin: Admin, topics: readonly string[]): Promise<TopicSettings[]> {
  return retryKafkaErrors(() => readTopicSettings(admin, topics), {
    retryable: notReadyYet,
    attempts: 10,
    delayMs: () => 200,
  });
}

function topicConfig(spec: TopicSpec): ITopicConfig {
  const configEntries = [
    ['retention.ms', spec.retentionMs],
    ['max.message.bytes', spec.maxMessageBytes],
    ['min.insync.replicas', spec.minInsyncReplicas],
  ]
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, value: Number.isFinite(value) ? String(value) : '-1' }));
  return {
    topic: spec.name,
    numPartitions: spec.partitions,
    replicationFactor: spec.replicationFactor ?? -1,
    configEntries,
  };
}
