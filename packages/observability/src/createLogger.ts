import { type Logger, pino } from 'pino';
import { traceLogFields } from './traceContext.js';
import { tracingEnabled } from './tracingEnabled.js';

export type { Logger };

/**
 * JSON logs on stdout, one line per event, with the service's name on every line, and with tracing
 * on, the trace and span ids of the active span (`trace_id`, `span_id`).
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => (tracingEnabled() ? traceLogFields() : {}),
  });
}
