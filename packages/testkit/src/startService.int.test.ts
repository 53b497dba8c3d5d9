import { createServer, type Server } from 'node:http';
import { freePort, RunningService, startService } from './index.js';

/** An HTTP server on `port` whose /readyz answers 200 in the name of another process. */
async function impostor(port: number): Promise<Server> {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ status: 'ready', pid: 1 }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const env = () => ({ DATABASE_URL: process.env.DATABASE_URL ?? '' });

describe('freePort', () => {
  it('never hands out the same port twice in one process', async () => {
    const ports = new Set<number>();
    for (let i = 0; i < 200; i++) ports.add(await freePort());
    expect(ports.size).toBe(200);
  });
});

describe('a service whose port another process took', () => {
  let taken: Server | undefined;
  afterEach(async () => {
    const server = taken;
    taken = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  });

  it('is not taken for ready when the other process answers /readyz on a port the caller gave', async () => {
    const port = await freePort();
    taken = await impostor(port);
    await expect(startService('console', { env: env(), port, readyTimeoutMs: 20_000 })).rejects.toThrow(
      `port ${port} is taken by another process`,
    );
  });

  it('moves to a new port before its first ready when freePort chose the port', async () => {
    const port = await freePort();
    taken = await impostor(port);
    const service = new RunningService('console', port, {
      env: env(),
      portIsOurs: true,
      readyTimeoutMs: 20_000,
    });
    try {
      await service.start();
      expect(service.port).not.toBe(port);
      const answer = (await (await fetch(`${service.url}/readyz`)).json()) as { pid: number };
      expect(answer.pid).toBe(service.process.pid);
      // A restart keeps the new port.
      await service.stop();
      await service.start();
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    } finally {
      await service.kill();
    }
  });
});
