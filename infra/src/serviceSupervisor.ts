import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ExactlyError } from '@exactly/errors';

export interface ServiceSpec {
  name: string;
  /** The script node runs. */
  entry: string;
  env: NodeJS.ProcessEnv;
}

export interface ServiceState {
  name: string;
  state: 'running' | 'stopped';
  pid?: number;
}

interface Supervised {
  spec: ServiceSpec;
  child: ChildProcess | undefined;
  /** Stopped on an operator's request: its exit is not a failure of the stack. */
  stoppedOnPurpose: boolean;
}

const stopGraceMs = 15_000;

/**
 * Runs the stack's services as child processes, each restartable on its own: an operator stops
 * the dispatchers to replay a topic (`npm run service -- stop dispatcher`) while the API and the
 * relay keep running. A service that exits without being asked to calls `onUnexpectedExit`.
 */
export class ServiceSupervisor {
  private readonly services = new Map<string, Supervised>();
  private readonly onUnexpectedExit: (name: string, how: string) => void;

  constructor(specs: ServiceSpec[], onUnexpectedExit: (name: string, how: string) => void) {
    for (const spec of specs)
      this.services.set(spec.name, { spec, child: undefined, stoppedOnPurpose: false });
    this.onUnexpectedExit = onUnexpectedExit;
  }

  list(): ServiceState[] {
    return [...this.services.values()].map(({ spec, child }) =>
      isRunning(child) && child?.pid !== undefined
        ? { name: spec.name, state: 'running', pid: child.pid }
        : { name: spec.name, state: 'stopped' },
    );
  }

  startAll(): void {
    for (const name of this.services.keys()) this.start(name);
  }

  /** Starts a stopped service; says so when it already runs. */
  start(name: string): string {
    const service = this.find(name);
    if (isRunning(service.child)) return `${name} is already running (pid ${service.child?.pid})`;
    const child = spawn(process.execPath, [service.spec.entry], {
      env: service.spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixOutput(child, name);
    service.child = child;
    service.stoppedOnPurpose = false;
    child.on('exit', (code, signal) => {
      if (service.child !== child || service.stoppedOnPurpose) return;
      this.onUnexpectedExit(name, String(signal ?? code));
    });
    return `${name} started (pid ${child.pid})`;
  }

  /** Stops one service (SIGTERM, SIGKILL after 15 s); the others keep running. */
  async stop(name: string): Promise<string> {
    const service = this.find(name);
    if (!isRunning(service.child)) return `${name} is not running`;
    service.stoppedOnPurpose = true;
    await stopChild(service.child as ChildProcess);
    return `${name} stopped (\`npm run service -- start ${name}\` starts it again)`;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.services.keys()].map((name) => this.stop(name)));
  }

  private find(name: string): Supervised {
    const service = this.services.get(name);
    if (!service) {
      throw new ExactlyError(
        'invalid_request',
        `no service named ${name}; the stack runs ${[...this.services.keys()].join(', ')}`,
      );
    }
    return service;
  }
}

function isRunning(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (!isRunning(child)) return resolve();
    const killer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Pipes a child's output line by line with a name in front, so interleaved logs stay readable. */
function prefixOutput(child: ChildProcess, name: string): void {
  for (const [stream, sink] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => sink.write(`[${name}] ${line}\n`));
  }
}

/**
 * The supervisor's control socket for a state folder. Under the system's temporary folder, named
 * by a hash of the state folder: a Unix socket path must stay under ~100 bytes.
 */
export function controlSocketPath(stateFolder: string): string {
  const hash = createHash('sha256').update(stateFolder).digest('hex').slice(0, 12);
  return join(tmpdir(), `exactly-stack-${hash}.sock`);
}

export type ControlAction = 'list' | 'start' | 'stop';

/** Serves `list`, `start NAME` and `stop NAME` on a Unix socket; resolves once it listens. */
export async function serveControl(supervisor: ServiceSupervisor, socketPath: string): Promise<Server> {
  await rm(socketPath, { force: true });
  const server = createServer((req, res) => {
    const [, action, name] = (req.url ?? '').split('/');
    const answer = async (): Promise<string> => {
      if (action === 'list') return JSON.stringify(supervisor.list());
      if (action === 'start' && name) return supervisor.start(decodeURIComponent(name));
      if (action === 'stop' && name) return supervisor.stop(decodeURIComponent(name));
      throw new ExactlyError('invalid_request', `unknown control request ${req.url}`);
    };
    answer().then(
      (text) => res.writeHead(200).end(text),
      (error: Error) => res.writeHead(400).end(error.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return server;
}

/** Asks the running `npm start` to list, start or stop a service; its answer, or a typed error. */
export function callControl(socketPath: string, action: ControlAction, name?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const path = `/${action}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
    const req = request({ socketPath, path, method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode === 200) resolve(text);
        else reject(new ExactlyError('invalid_request', text));
      });
    });
    req.on('error', (error) =>
      reject(
        new ExactlyError(
          'infra_failed',
          `no running \`npm start\` answers on ${socketPath}: start the stack first`,
          {
            cause: error,
          },
        ),
      ),
    );
    req.end();
  });
}
