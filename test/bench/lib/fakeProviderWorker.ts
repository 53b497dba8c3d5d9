// A fake HTTP messaging provider in a worker thread (its own event loop, so the load generator
// in the main thread does not delay its receipts). It honours idempotency keys like a real one
// (the first call with a key is a send, later ones replay it) and stamps each key's first
// receipt with the shared clock (performance.timeOrigin + performance.now(), in ms), which the
// main thread compares with its send times. Started by `startFakeProvider()`.

import { createServer } from 'node:http';
import { parentPort } from 'node:worker_threads';

const port = parentPort;
if (!port) throw new Error('fakeProviderWorker runs in a worker thread');

const header = 'idempotency-key';
let firstReceipt = new Map<string, number>();
// Keys received per account (the http provider's body carries it), so a phase counts only its own.
let keysByAccount = new Map<string, number>();
let accountOf = new Map<string, string>();
let calls = 0;
let replays = 0;

const server = createServer((request, response) => {
  const at = performance.timeOrigin + performance.now();
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const key = request.headers[header];
    if (typeof key !== 'string' || key === '') {
      response.writeHead(400).end();
      return;
    }
    calls += 1;
    const seen = firstReceipt.has(key);
    if (seen) replays += 1;
    else {
      firstReceipt.set(key, at);
      let account = '';
      try {
        account = String(
          (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { accountId?: string }).accountId,
        );
      } catch {
        // not JSON: counted under ''
      }
      accountOf.set(key, account);
      keysByAccount.set(account, (keysByAccount.get(account) ?? 0) + 1);
    }
    response
      .writeHead(seen ? 200 : 201, {
        'content-type': 'application/json',
        'idempotent-replayed': String(seen),
      })
      .end(`{"providerMessageId":"prov_${key}"}`);
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  port.postMessage({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});

port.on('message', (message: { type: string; id: number; account?: string }) => {
  const { account } = message;
  switch (message.type) {
    case 'count':
      port.postMessage({
        id: message.id,
        keys: account === undefined ? firstReceipt.size : (keysByAccount.get(account) ?? 0),
        calls,
        replays,
      });
      break;
    case 'receipts':
      port.postMessage({
        id: message.id,
        receipts: [...firstReceipt.entries()].filter(
          ([key]) => account === undefined || accountOf.get(key) === account,
        ),
        calls,
        replays,
      });
      break;
    case 'reset':
      firstReceipt = new Map();
      keysByAccount = new Map();
      accountOf = new Map();
      calls = 0;
      replays = 0;
      port.postMessage({ id: message.id });
      break;
    case 'close':
      server.closeAllConnections();
      server.close(() => port.postMessage({ id: message.id }));
      break;
  }
});
