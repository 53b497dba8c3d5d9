export { bringUpInfrastructure, type Infrastructure, takeDownInfrastructure } from './localInfrastructure.js';
export {
  type KafkaMode,
  type KafkaNode,
  type KafkaTopology,
  kafkaNodePid,
  kafkaTopology,
  localKafkaStatus,
  resolveKafkaJars,
  startKafkaNode,
  startLocalKafka,
  stopKafkaNode,
  stopLocalKafka,
  waitForKafka,
} from './localKafka.js';
export {
  crashAndRestartLocalPostgres,
  defaultLocalPostgresPort,
  type LocalPostgres,
  localPostgresStatus,
  localPostgresUrl,
  startLocalPostgres,
  stopLocalPostgres,
} from './localPostgres.js';
export { isAlive, isOurProcess, isPortFree, stopProcess, waitUntil } from './processes.js';
export { isServiceBuilt, serviceEntry } from './serviceEntry.js';
export { repoRoot, stateDir } from './stateDir.js';
