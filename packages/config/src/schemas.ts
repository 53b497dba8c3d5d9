import { z } from 'zod';

/** A TCP port from an environment variable. */
export const port = z.coerce.number().int().min(0).max(65_535);

/** A positive integer from an environment variable. */
export const positiveInt = z.coerce.number().int().positive();

/**
 * How many distinct parameterised statements each PostgreSQL connection of a service prepares once
 * and reuses (see `@exactly/persistence`'s `preparedStatements`); 0 sends every statement unnamed,
 * for a connection pooler in transaction mode that cannot keep prepared statements.
 */
export const preparedStatements = z.coerce.number().int().min(0).max(10_000);

/** `true`/`false`/`1`/`0`/`yes`/`no` from an environment variable. */
export const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const durationUnits = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as `250ms`, `30s`, `15m`, `24h` or `7d` (a bare number is milliseconds), in ms. */
export const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)?$/, 'expected a duration such as 500ms, 30s, 15m, 24h or 7d')
  .transform((value) => {
    const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
    const amount = Number(match?.[1]);
    const unit = (match?.[2] ?? 'ms') as keyof typeof durationUnits;
    return amount * durationUnits[unit];
  });

/** A PostgreSQL connection URL. */
export const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL');

/** A comma-separated list of Kafka brokers as host:port. */
export const kafkaBrokers = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1));

/**
 * The OpenTelemetry settings every service reads: traces are exported over OTLP/HTTP (JSON) to
 * `OTEL_EXPORTER_OTLP_ENDPOINT` when it is set, and nothing is traced otherwise.
 */
export const otelSettings = {
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** The `service.name` of the exported spans (default: the service's own name). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
};
