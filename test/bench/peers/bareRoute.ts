// The least an HTTP API on this stack can do for a POST: a Fastify route that parses the JSON
// body (Fastify's own parser) and answers 202 with a constant reply the size of the ingest API's
// (198 bytes). No database, no validation, no idempotency. The bench drives it with the same
// clients as the ingest API to price the HTTP exchange alone, paced and in a closed loop
// (lib/bareExchange.ts). Run as its own process: PORT.

import Fastify from 'fastify';

const reply = JSON.stringify({
  id: 'msg_01a253057b2377f6a62eeec71559ff2b',
  status: 'accepted',
  channel: 'email',
  to: 'ada@example.com',
  from: 'orders@acme.com',
  metadata: { order: '1042' },
  createdAt: '2026-12-08T00:19:57.851Z',
});

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ ok: true }));
app.post('/v1/messages', async (_request, response) => {
  response.code(202).header('content-type', 'application/json; charset=utf-8');
  return reply;
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3101) });
console.log(`bare route listening on ${address}`);

const stop = async () => {
  await app.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
