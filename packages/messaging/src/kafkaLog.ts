import { type LogEntry, logLevel } from 'kafkajs';

/** The part of a pino logger kafkajs' lines are forwarded to. */
export interface KafkaLogSink {
  debug(details: object, message: string): void;
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Broker answers that only mean "not ready yet": a fresh cluster electing leaders, a group
 * coordinator still loading, a topic just created. kafkajs retries them by itself; at start-up
 * they are expected, so they must not read as errors.
 */
const startUpRaces = [
  'The group coordinator is not available',
  'The coordinator is loading and hence can',
  'This is not the correct coordinator for this group',
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition',
  'Leader not available',
];

/** Whether an error (or its message) is a broker's "not ready yet" that a retry waits out. */
export function isKafkaStartUpRace(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error ?? '');
  return startUpRaces.some((race) => text.includes(race));
}

export type SinkLevel = 'debug' | 'info' | 'warn' | 'error';

/** The level a kafkajs line is logged at: its own, except start-up races, which are debug. */
export function kafkaLineLevel(level: logLevel, error: unknown): SinkLevel | undefined {
  if (level === logLevel.NOTHING) return undefined;
  if ((level === logLevel.ERROR || level === logLevel.WARN) && isKafkaStartUpRace(error)) return 'debug';
  if (level === logLevel.ERROR) return 'error';
  if (level === logLevel.WARN) return 'warn';
  if (level === logLevel.INFO) return 'info';
  return 'debug';
}

/**
 * A kafkajs logCreator that writes through the service's own logger (one JSON format, one
 * place to filter). The first start-up race is logged once at info, so a slow start is
 * explained without looking like a failure; the rest go to debug.
 */
export function kafkaLogCreator(sink: KafkaLogSink) {
  let racesSeen = 0;
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...details } = log;
      const chosen = kafkaLineLevel(level, details.error);
      if (!chosen) return;
      const line = { component: 'kafkajs', namespace, ...details };
      if (chosen === 'debug' && level <= logLevel.WARN && racesSeen++ === 0) {
        sink.info(line, `Kafka is not ready yet (${String(details.error)}); waiting for it`);
        return;
      }
      sink[chosen](line, message);
    };
}
