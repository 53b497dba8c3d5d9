import type { Logger } from '@exactly/observability';
import { type Orm, runSql } from '@exactly/persistence';
import type { Admin } from 'kafkajs';
import type { DispatcherMetrics } from '../dispatcherMetrics.js';
import { inboxRetentionProblem, readTopicRetention } from './topicRetention.js';

export interface InboxCleanupOptions {
  orm: Orm;
  admin: Admin;
  logger: Logger;
  metrics: DispatcherMetrics;
  topic: string;
  retentionMs: number;
  relayMaxLagMs: number;
  intervalMs: number;
  batchSize: number;
  /** Batches deleted per run at most, so one run stays short (default 100). */
  maxBatchesPerRun?: number;
}

export interface InboxCleanup {
  /** Deletes inbox rows older than the retention; returns how many. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Deletes inbox rows past INBOX_RETENTION in bounded batches. Before each run it reads the
 * topic's retention again: if the topic now keeps records longer than the inbox would remember
 * them, it deletes nothing and says so (a metric and an error log).
 */
export function createInboxCleanup(options: InboxCleanupOptions): InboxCleanup {
  const { orm, logger, metrics } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function runOnce(): Promise<number> {
    if (!Number.isFinite(options.retentionMs)) return 0;
    const retention = await readTopicRetention(options.admin, options.topic);
    const problem = inboxRetentionProblem(
      options.retentionMs,
      options.relayMaxLagMs,
      options.topic,
      retention,
    );
    if (problem !== undefined) {
      metrics.inboxRetentionViolations.inc();
      logger.error({ problem }, 'inbox clean-up skipped');
      return 0;
    }
    let deleted = 0;
    for (let batch = 0; batch < (options.maxBatchesPerRun ?? 100); batch += 1) {
      // Bounded: a short transaction per batch, never one long delete that holds locks and bloats.
      const { rowCount } = await runSql(
        orm.em.fork(),
        `DELETE FROM inbox WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM inbox WHERE received_at < now() - $1 * interval '1 millisecond' LIMIT $2))`,
        [options.retentionMs, options.batchSize],
      );
      deleted += rowCount;
      metrics.inboxDeleted.inc(rowCount);
      if (rowCount < options.batchSize) break;
    }
    if (deleted > 0) logger.info({ deleted }, 'inbox clean-up');
    return deleted;
  }

  return {
    runOnce,
    start() {
      if (!Number.isFinite(options.retentionMs)) return;
      timer = setInterval(() => {
        running ??= runOnce()
          .catch((error: unknown) => logger.warn({ err: error }, 'inbox clean-up failed; next run retries'))
          .finally(() => {
            running = undefined;
          });
      }, options.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
