import { createServer } from 'node:net';
import { freePort, ServiceProcess } from './index.js';

describe('freePort', () => {
  it('gives a port a server can listen on at 127.0.0.1', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect((server.address() as { port: number }).port).toBe(port);
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('ServiceProcess', () => {
  it('runs a real process, keeps its output and kills it with SIGKILL', async () => {
    const service = new ServiceProcess({
      entry: 'packages/testkit/dist/testing/echoForever.js',
      env: { ECHO: 'hello' },
    });
    service.start();
    await service.waitForOutput(/hello/);
    expect(service.running).toBe(true);
    await service.kill();
    expect(service.running).toBe(false);
  });
});
