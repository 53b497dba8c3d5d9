// The test kit's FakeProvider in a worker thread (its own event loop, so the load generator in
// the main thread does not delay its receipts), honouring idempotency keys like a real provider
// (the first call with a key is a send, later ones replay it). Each call is stamped on the shared
// clock (performance.timeOrigin + performance.now(), in ms), which the main thread compares with
// its send times. Started by `startFakeProvider()`.

import { parentPort } from 'node:worker_threads';
import { FakeProvider } from '@exactly/testkit';

const port = parentPort;
if (!port) throw new Error('fakeProviderWorker runs in a worker thread');

const provider = new FakeProvider({ honoursKeys: true });
const address = new URL(await provider.listen());
port.postMessage({ type: 'listening', port: Number(address.port) });

/** Each key's first send of one account's messages (or all), with the counts of every call. */
function receipts(account: string | undefined) {
  const first = new Map<string, number>();
  for (const call of provider.calls) {
    if (call.outcome !== 'sent' || first.has(call.key)) continue;
    if (account === undefined || (call.accountId ?? '') === account) first.set(call.key, call.at);
  }
  const replays = provider.calls.filter((call) => call.outcome === 'replayed').length;
  return { first, calls: provider.calls.length, replays };
}

port.on('message', async (message: { type: string; id: number; account?: string }) => {
  switch (message.type) {
    case 'count': {
      const { first, calls, replays } = receipts(message.account);
      port.postMessage({ id: message.id, keys: first.size, calls, replays });
      break;
    }
    case 'receipts': {
      const { first, calls, replays } = receipts(message.account);
      port.postMessage({ id: message.id, receipts: [...first.entries()], calls, replays });
      break;
    }
    case 'reset':
      provider.reset();
      port.postMessage({ id: message.id });
      break;
    case 'close':
      await provider.close();
      port.postMessage({ id: message.id });
      break;
  }
});
