import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SupervisorEvent, superviseProcesses } from './superviseProcesses.js';

describe('superviseProcesses', () => {
  let impostor: Server;
  let url: string;

  beforeAll(async () => {
    // Another process's ops server on the port an instance is given: its /readyz answers 200.
    impostor = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ status: 'ready', pid: process.pid }));
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => impostor.close(resolve)));

  it('does not take another process answering on the port for the instance, and gives up', async () => {
    const events: SupervisorEvent[] = [];
    // The instance cannot listen (as on EADDRINUSE) and exits after a moment.
    const spawnInstance = () => ({
      child: spawn(process.execPath, ['-e', 'setTimeout(() => process.exit(1), 400)'], { stdio: 'pipe' }),
      url,
    });
    const outcome = await superviseProcesses(
      {
        instances: 1,
        spawn: spawnInstance,
        onEvent: (event) => events.push(event),
        backoffMs: 20,
        maxFailedStarts: 3,
      },
      AbortSignal.timeout(15_000),
    );
    expect(events.filter((event) => event.event === 'ready')).toEqual([]);
    expect(outcome).toBe('gave_up');
    expect(events.filter((event) => event.event === 'started')).toHaveLength(3);
  });
});
