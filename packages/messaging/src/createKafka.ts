import { type ISocketFactory, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { fixKafkajsIdleLoop } from './fixKafkajsIdleLoop.js';
import { type KafkaLogSink, kafkaLogCreator } from './kafkaLog.js';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** kafkajs' own logging; off by default, services log what matters themselves. */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
  /** Where kafkajs' lines go (the service's logger); kafkajs' own console format otherwise. */
  logger?: KafkaLogSink;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Opens the client's connections (kafkajs' default when unset); lets a caller reset them at once. */
  socketFactory?: ISocketFactory;
}

const levels = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
} as const;

/**
 * A kafkajs client with the project's defaults: bounded retries with capped backoff, quiet logs,
 * and no busy timer on idle connections (see fixKafkajsIdleLoop).
 */
export function createKafka(settings: KafkaSettings): Kafka {
  fixKafkajsIdleLoop();
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    logLevel: levels[settings.logLevel ?? 'nothing'],
    ...(settings.logger ? { logCreator: kafkaLogCreator(settings.logger) } : {}),
    connectionTimeout: settings.connectionTimeoutMs ?? 3_000,
    requestTimeout: settings.requestTimeoutMs ?? 30_000,
    retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
    ...(settings.socketFactory ? { socketFactory: settings.socketFactory } : {}),
  };
  return new Kafka(config);
}
