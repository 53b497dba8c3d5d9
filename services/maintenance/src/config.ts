import { duration, kafkaBrokers, port, positiveInt, postgresUrl, readConfig } from '@exactly/config';
import { defaultTopics } from '@exactly/contracts';
import { maintenanceSettings } from '@exactly/retention';
import { z } from 'zod';

/** Every variable the maintenance service reads, with its default (see README.md). */
export const MaintenanceConfig = z.object({
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_SIZE: positiveInt.default(2),
  /** Read before every drop of inbox days: the live commands topic's retention. */
  KAFKA_BROKERS: kafkaBrokers,
  KAFKA_CLIENT_ID: z.string().default('exactly-maintenance'),
  COMMANDS_TOPIC: z.string().default(defaultTopics.commands),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3004),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT: duration.default(10_000),
  ...maintenanceSettings,
});
export type MaintenanceConfig = z.infer<typeof MaintenanceConfig>;

/** Reads the configuration once; a bad value throws `config_invalid` naming the variable. */
export function readMaintenanceConfig(
  env: Record<string, string | undefined> = process.env,
): MaintenanceConfig {
  return readConfig(MaintenanceConfig, env);
}
