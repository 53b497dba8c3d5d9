import { connect, createServer, type Socket } from 'node:net';
import { startTestServer } from './testing/startTestServer.js';

/** A TCP proxy to PostgreSQL that can be cut: every connection through it dies, new ones are refused. */
async function cuttableProxy(target: URL) {
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect({ host: target.hostname, port: Number(target.port) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as { port: number };
  const url = new URL(target.href);
  url.port = String(port);
  return {
    url: url.href,
    cut: async () => {
      await new Promise((closed) => {
        proxy.close(closed);
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

describe('the operational routes', () => {
  it('with OPS_PORT set, answer only on their own listener, never on the API port', async () => {
    const api = await startTestServer({ OPS_PORT: '0' }, { listen: true });
    try {
      for (const path of ['/metrics', '/readyz']) {
        expect({ path, status: (await fetch(`${api.url}${path}`)).status }).toEqual({ path, status: 404 });
      }
      const opsUrl = api.server.opsUrl as string;
      expect(opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(opsUrl).not.toBe(api.url);
      expect((await fetch(`${opsUrl}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${opsUrl}/metrics`)).text()).toMatch(/exactly_http_requests_total/);
    } finally {
      await api.close();
    }
  });

  it('without OPS_PORT, answer on the API port to local callers only, not through a proxy', async () => {
    const api = await startTestServer({}, { listen: true });
    try {
      expect((await fetch(`${api.url}/metrics`)).status).toBe(200);
      for (const header of ['x-forwarded-for', 'forwarded']) {
        const proxied = await fetch(`${api.url}/metrics`, { headers: { [header]: '203.0.113.7' } });
        expect({ header, status: proxied.status }).toEqual({ header, status: 404 });
      }
    } finally {
      await api.close();
    }
  });

  it('/readyz says not ready without the database error text', async () => {
    const proxy = await cuttableProxy(new URL(process.env.DATABASE_URL as string));
    const api = await startTestServer({ DATABASE_URL: proxy.url }, { listen: true });
    try {
      expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
      await proxy.cut();
      const response = await fetch(`${api.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'not ready', reason: 'database unavailable' });
    } finally {
      await api.close();
    }
  });
});
