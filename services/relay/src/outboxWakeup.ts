import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '@exactly/errors';
import type { Logger } from '@exactly/observability';
import { outboxChannel } from '@exactly/outbox';
import type pg from 'pg';

export interface OutboxWakeupOptions {
  /** A new, unconnected client for the LISTEN connection (one dedicated connection, kept open). */
  newClient: () => pg.Client;
  logger: Logger;
  retryMinMs: number;
  retryMaxMs: number;
  onError?: (error: unknown) => void;
}

/**
 * Wakes the relay when writers NOTIFY `exactly_outbox` after a commit. `wait(ms)` returns at the
 * first notification, or after `ms` (the bounded poll that covers a lost notification or a
 * broken LISTEN connection). A notification that arrives while the relay is busy is kept, so
 * the next `wait` returns at once and no commit waits for the poll.
 */
export class OutboxWakeup {
  private readonly options: OutboxWakeupOptions;
  private pending = false;
  private wake: (() => void) | undefined;
  private client: pg.Client | undefined;
  private stopped = false;
  private connection: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  listening = false;

  constructor(options: OutboxWakeupOptions) {
    this.options = options;
  }

  /** Connects and LISTENs in the background, reconnecting with backoff whenever the connection drops. */
  start(): void {
    this.connection = this.keepListening();
  }

  /** Resolves at the next notification (or one that came since the last wait), or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.pending || this.stopped) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** Wakes the waiting relay now (a notification, or the relay's own reason: stopping, new leases). */
  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.notify();
    await this.client?.end().catch(() => {});
    await this.connection;
  }

  private async keepListening(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const client = this.options.newClient();
      const closed = new Promise<void>((resolve) => {
        client.once('end', resolve);
        client.once('error', (error) => {
          this.options.onError?.(error);
          this.options.logger.warn({ err: error }, 'the LISTEN connection failed; polling until it is back');
          resolve();
        });
      });
      try {
        await client.connect();
        client.on('notification', () => this.notify());
        await client.query(`LISTEN ${outboxChannel}`);
        this.client = client;
        this.listening = true;
        failures = 0;
        // Rows committed while the connection was down got no notification of their own.
        this.notify();
        await closed;
      } catch (error) {
        this.options.onError?.(error);
        this.options.logger.warn({ err: error }, 'cannot LISTEN for outbox notifications; polling meanwhile');
      }
      this.listening = false;
      this.client = undefined;
      await client.end().catch(() => {});
      const delay = backoffDelay(failures++, {
        initialDelayMs: this.options.retryMinMs,
        maxDelayMs: this.options.retryMaxMs,
        jitter: 'equal',
      });
      await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => {});
    }
  }
}
