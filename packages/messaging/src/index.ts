export { createKafka, type KafkaSettings } from './createKafka.js';
