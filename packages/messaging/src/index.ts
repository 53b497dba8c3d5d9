export { createKafka, type KafkaSettings } from './createKafka.js';
export { type EnsuredTopics, ensureTopics } from './ensureTopics.js';
export { isKafkaStartUpRace, type KafkaLogSink } from './kafkaLog.js';
export { readTopicRetention, type TopicRetention } from './readTopicRetention.js';
export { type KafkaErrorRetry, retryKafkaErrors } from './retryKafkaErrors.js';
export {
  readTopicSettings,
  type TopicSettings,
  type TopicSpec,
  type TopicWeakness,
  weakerSettings,
} from './topicSettings.js';
