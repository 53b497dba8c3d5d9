// The main thread's handle on the fake provider worker (fakeProviderWorker.ts).

import { Worker } from 'node:worker_threads';

export interface ProviderCounts {
  /** Distinct keys received (sends). */
  keys: number;
  /** Every call, replays included. */
  calls: number;
  replays: number;
}

export async function startFakeProvider() {
  const worker = new Worker(new URL('./fakeProviderWorker.ts', import.meta.url));
  let next = 0;
  const pending = new Map<number, (value: unknown) => void>();
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: { type?: string; id?: number; port?: number }) => {
      if (message.type === 'listening') resolve(message.port as number);
      else if (message.id !== undefined) {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
  });
  const ask = <T>(type: string, account?: string) =>
    new Promise<T>((resolve) => {
      const id = next++;
      pending.set(id, resolve as (value: unknown) => void);
      worker.postMessage({ type, id, account });
    });
  return {
    url: `http://127.0.0.1:${port}/send`,
    /** Keys received (of one account's messages, or all). */
    count: (account?: string) => ask<ProviderCounts>('count', account),
    /** Each key's first receipt time (ms on the shared clock), with the counts. */
    receipts: (account?: string) =>
      ask<ProviderCounts & { receipts: [string, number][] }>('receipts', account),
    reset: () => ask<void>('reset'),
    async close() {
      await ask('close');
      await worker.terminate();
    },
  };
}

export type FakeProviderHandle = Awaited<ReturnType<typeof startFakeProvider>>;
