import pg from 'pg';
import { TcpProxy } from './index.js';

const target = new URL(process.env.DATABASE_URL ?? '');

async function query(port: number, timeoutMs = 2_000): Promise<number> {
  const url = new URL(target);
  url.port = String(port);
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: timeoutMs });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one ?? 0;
  } finally {
    await client.end();
  }
}

describe('a TCP proxy in front of PostgreSQL', () => {
  const proxy = new TcpProxy({ port: Number(target.port) });
  let port = 0;

  beforeAll(async () => {
    port = await proxy.listen();
  });

  afterAll(async () => {
    await proxy.close();
  });

  afterEach(() => {
    proxy.forward();
    proxy.setLatency(0);
  });

  it('forwards a real connection', async () => {
    expect(await query(port)).toBe(1);
  });

  it('adds latency to every chunk', async () => {
    proxy.setLatency(100);
    const started = Date.now();
    // The handshake alone is several delayed chunks: room for a busy machine past the default 2 s.
    await query(port, 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('refuses new connections until forwarding again', async () => {
    proxy.refuse();
    await expect(query(port)).rejects.toThrow();
    proxy.forward();
    expect(await query(port)).toBe(1);
  });

  it('black-holes new connections, so a client times out instead of failing fast', async () => {
    proxy.blackhole();
    await expect(query(port, 300)).rejects.toThrow(/timeout/i);
  });
});
