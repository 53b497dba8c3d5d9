import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callControl, controlSocketPath, ServiceSupervisor, serveControl } from './serviceSupervisor.js';

/** A stand-in service: runs until SIGTERM, then exits 0. */
const serviceScript = `process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);`;

describe('the stack supervisor', () => {
  let folder: string;
  let supervisor: ServiceSupervisor;
  let socket: string;
  const unexpected: string[] = [];
  let closeControl: () => void = () => {};

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'exactly-supervisor-'));
    const entry = join(folder, 'service.js');
    await writeFile(entry, serviceScript);
    unexpected.length = 0;
    supervisor = new ServiceSupervisor(
      ['ingest-api', 'relay', 'dispatcher'].map((name) => ({ name, entry, env: process.env })),
      (name, how) => unexpected.push(`${name}:${how}`),
    );
    socket = controlSocketPath(folder);
    const server = await serveControl(supervisor, socket);
    closeControl = () => server.close();
    supervisor.startAll();
  });

  afterEach(async () => {
    closeControl();
    await supervisor.stopAll();
    await rm(folder, { recursive: true, force: true });
  });

  it('stops and starts one service on request while the others keep running', async () => {
    expect(await callControl(socket, 'stop', 'dispatcher')).toMatch(/dispatcher stopped/);
    const afterStop = JSON.parse(await callControl(socket, 'list')) as { name: string; state: string }[];
    expect(afterStop.map((entry) => `${entry.name}:${entry.state}`)).toEqual([
      'ingest-api:running',
      'relay:running',
      'dispatcher:stopped',
    ]);
    expect(await callControl(socket, 'start', 'dispatcher')).toMatch(/dispatcher started \(pid \d+\)/);
    expect(supervisor.list().every((entry) => entry.state === 'running')).toBe(true);
    // A stop on request is not a failure of the stack.
    expect(unexpected).toEqual([]);
  });

  it('reports a service that exits without being asked to', async () => {
    const relay = supervisor.list().find((entry) => entry.name === 'relay');
    process.kill(relay?.pid ?? 0, 'SIGKILL');
    for (let i = 0; i < 100 && unexpected.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(unexpected).toEqual(['relay:SIGKILL']);
  });

  it('names the services it runs when asked for another', async () => {
    await expect(callControl(socket, 'stop', 'dispatchers')).rejects.toThrow(
      'no service named dispatchers; the stack runs ingest-api, relay, dispatcher',
    );
  });

  it('says no stack runs when nothing answers', async () => {
    await expect(callControl(controlSocketPath(join(folder, 'elsewhere')), 'list')).rejects.toThrow(
      /no running `npm start` answers/,
    );
  });
});
