import type { SendMessage } from '@exactly/contracts';
import { createClient, ExactlyApiError, ExactlyNetworkError, type RetryEvent } from '@exactly/sdk';
import type { History } from './history.ts';

export interface LoadOptions {
  baseUrl: string;
  apiKey: string;
  /** How many distinct commands (idempotency keys) to send. */
  commands: number;
  /** Commands in flight at once. */
  concurrency: number;
  /** Per attempt; shorter than the server's latency makes retries overlap the first request. */
  timeoutMs: number;
  /** Attempts per command before the client gives up (a bounded loop). */
  maxAttempts: number;
  random: () => number;
  /** Distinguishes this run's keys from any other's. */
  keyPrefix: string;
  /** Commands per second at most (0: as fast as the concurrency allows). */
  ratePerSecond?: number;
  /** Stop early (a scenario's time limit). */
  signal?: AbortSignal;
  /**
   * Take no new command after this long (long mode: the load lasts its minutes, and a system
   * slower than the offered rate is measured by what it achieved, not by a longer run).
   */
  stopAfterMs?: number;
  /** Index of the first command (a second pass with the same prefix sends the same keys and bodies again). */
  firstIndex?: number;
  /**
   * Send every acknowledged command once more, same key and body, this long after its answer (a
   * client's late retry): each key comes back a fixed time after its acceptance, however long the
   * load runs. Resends come before new commands once due, and all are sent before the load ends.
   */
  resendAfterMs?: number;
}

const channels = ['email', 'sms', 'voice'] as const;

/** The command of index `index`: always the same body for the same index, so a resend is a true retry. */
export function commandFor(index: number): SendMessage {
  const channel = channels[index % channels.length] ?? 'sms';
  const phone = `+1555${String(1_000_000 + index).slice(-7)}`;
  switch (channel) {
    case 'email':
      return {
        channel,
        to: `user${index}@example.com`,
        from: 'faults@exactly.dev',
        subject: `#${index}`,
        text: 'hello',
      };
    case 'sms':
      return { channel, to: phone, from: 'EXACTLY', text: `message ${index}` };
    case 'voice':
      return { channel, to: phone, from: '+15550000000', text: `call ${index}` };
  }
}

function describeFailure(error: unknown): {
  outcome: 'failed' | 'indeterminate';
  status?: number;
  code?: string;
} {
  if (error instanceof ExactlyApiError) {
    // Load shedding answers before anything runs: a definite refusal, though worth retrying.
    if (error.code === 'overloaded' || error.code === 'rate_limited')
      return { outcome: 'failed', status: error.status, code: error.code };
    // Any other retryable API error (5xx, 409 in flight) leaves the command's fate open.
    return { outcome: error.retryable ? 'indeterminate' : 'failed', status: error.status, code: error.code };
  }
  if (error instanceof ExactlyNetworkError)
    return { outcome: 'indeterminate', code: error.timedOut ? 'timeout' : 'network' };
  return { outcome: 'indeterminate', code: (error as Error).message };
}

/**
 * Drives a seeded, bounded load like a real SDK user: each command has its own key, and the
 * SDK retries any error or timeout with that key. Every attempt lands in the history: the
 * failed ones through the SDK's `onRetry`, the last one from the call's result or error.
 */
export async function runLoad(options: LoadOptions, history: History): Promise<void> {
  const first = options.firstIndex ?? 0;
  let next = first;
  const end = first + options.commands;
  const startedAt = Date.now();
  // Acknowledged commands waiting to be sent again, in the order they became due.
  const resends: { index: number; dueAt: number }[] = [];
  const worker = async () => {
    // One client per worker, so `onRetry` knows which command's attempt it reports.
    let current = { key: '', attempt: 0 };
    const client = createClient({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxAttempts - 1,
      retry: { initialDelayMs: 50, maxDelayMs: 2_000 },
      random: options.random,
      onRetry: (event: RetryEvent) => {
        current.attempt += 1;
        history.record({ key: current.key, attempt: current.attempt, ...describeFailure(event.error) });
      },
    });
    const send = async (index: number) => {
      current = { key: `${options.keyPrefix}-${index}`, attempt: 0 };
      const calledAt = Date.now();
      try {
        const result = await client.messages.send(commandFor(index), {
          idempotencyKey: current.key,
        });
        history.record({
          key: current.key,
          attempt: current.attempt + 1,
          outcome: 'ok',
          status: result.status,
          messageId: result.message.id,
          replayed: result.replayed,
          calledAt,
        });
        return true;
      } catch (error) {
        history.record({ key: current.key, attempt: current.attempt + 1, ...describeFailure(error) });
        return false;
      }
    };
    const sendNew = async (index: number) => {
      const acknowledged = await send(index);
      if (acknowledged && options.resendAfterMs !== undefined)
        resends.push({ index, dueAt: Date.now() + options.resendAfterMs });
    };
    const overdue = () => options.stopAfterMs !== undefined && Date.now() - startedAt >= options.stopAfterMs;
    while (next < end && !options.signal?.aborted && !overdue()) {
      const resend = resends[0];
      if (resend !== undefined && resend.dueAt <= Date.now()) {
        resends.shift();
        await send(resend.index);
        continue;
      }
      const index = next++;
      if (options.ratePerSecond) {
        const due = startedAt + ((index - first) * 1_000) / options.ratePerSecond;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        if (overdue()) break;
      }
      await sendNew(index);
    }
    // The resends still due, each when its time comes (bounded: one per acknowledged command).
    for (let resend = resends.shift(); resend !== undefined; resend = resends.shift()) {
      if (options.signal?.aborted) return;
      const wait = resend.dueAt - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await send(resend.index);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}
