import type { Logger } from './createLogger.js';

export interface StopOnSignalsOptions {
  logger: Logger;
  /** Past this, the process exits with 1 whatever is still running. */
  timeoutMs: number;
  /** Logged (with the signal) when the shutdown begins. */
  message: string;
  /** Closes what the service opened, in order (its server first, then its database). */
  stop: () => Promise<void>;
}

/**
 * On the first SIGTERM or SIGINT: logs, runs `stop` once, and lets the process end by itself
 * (exit code 1 if `stop` failed); a shutdown that takes longer than `timeoutMs` exits with 1.
 */
export function stopOnSignals({ logger, timeoutMs, message, stop }: StopOnSignalsOptions): void {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, message);
    const forced = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    forced.unref();
    try {
      await stop();
      logger.info('stopped');
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exitCode = 1;
    }
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}
