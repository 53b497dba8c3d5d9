export { createKafka, type KafkaSettings } from './createKafka.js';
export { type EnsuredTopics, ensureTopics } from './ensureTopics.js';
export {
  readTopicSettings,
  type TopicSettings,
  type TopicSpec,
  type TopicWeakness,
  weakerSettings,
} from './topicSettings.js';
