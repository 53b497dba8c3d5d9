import { setTimeout as sleep } from 'node:timers/promises';
import { askReadiness } from '@exactly/observability';
import { freePort } from './freePort.js';
import { ServiceProcess } from './serviceProcess.js';

export interface StartServiceOptions {
  env?: Record<string, string>;
  /** Shown in front of its output and in errors (default: the service's name). */
  name?: string;
  /** Its ops (and, for the ingest API, public) port: a free one unless given. */
  port?: number;
  /** How long /readyz may take to answer 200 (default 60 s). */
  readyTimeoutMs?: number;
  /** false: spawn it and return at once, without waiting for /readyz (a benchmark times the start). */
  waitUntilReady?: boolean;
  /** Runs it with this group id (fault tests cut one process group off the network with iptables). */
  gid?: number;
}

/**
 * One of the project's services run as a real process on a port of its own: start (again on the
 * same port and environment), wait until ready, stop, kill -9, pause and resume.
 */
export class RunningService {
  readonly process: ServiceProcess;
  private currentPort: number;
  /** Its port came from freePort (not from the caller), so it may take another if that one is taken. */
  private readonly portIsOurs: boolean;
  private everReady = false;
  private readonly readyTimeoutMs: number;

  constructor(service: string, port: number, options: StartServiceOptions & { portIsOurs?: boolean } = {}) {
    this.currentPort = port;
    this.portIsOurs = options.portIsOurs ?? false;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    this.process = new ServiceProcess({
      service,
      name: options.name ?? service,
      env: { LOG_LEVEL: 'warn', ...options.env, PORT: String(port) },
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
  }

  get name(): string {
    return this.process.name;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get port(): number {
    return this.currentPort;
  }

  /**
   * Starts the process unless it runs, and waits until its /readyz answers 200 with its own pid;
   * throws with its output. Another process may have taken a port freePort gave: before the
   * service was ever ready, it then moves to a new port (its later restarts keep that one).
   */
  async start(timeoutMs = this.readyTimeoutMs): Promise<this> {
    for (let attempt = 1; ; attempt++) {
      const outputBefore = this.process.logs.length;
      if (!this.process.running) this.process.start({ PORT: String(this.currentPort) });
      const outcome = await waitUntilReady(this.url, this.process, timeoutMs);
      if (outcome === 'ready') {
        this.everReady = true;
        return this;
      }
      const portTaken = outcome === 'port taken' || /EADDRINUSE/.test(this.process.logs.slice(outputBefore));
      if (portTaken && this.portIsOurs && !this.everReady && attempt < 3) {
        await this.process.kill();
        this.currentPort = await freePort();
        continue;
      }
      const why = portTaken ? `port ${this.currentPort} is taken by another process` : outcome;
      throw new Error(`${this.name} did not get ready (${why}):\n${this.process.logs.slice(-4_000)}`);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void> {
    return this.process.stop(graceMs);
  }

  /** kill -9, as in a crash. */
  kill(): Promise<void> {
    return this.process.kill();
  }
}

/**
 * Starts a service (`ingest-api`, `relay`, `dispatcher`...) from its package's entry point on a
 * free port, with LOG_LEVEL=warn unless `env` says otherwise, and waits until it is ready (or
 * kills it and throws with its output).
 */
export async function startService(
  service: string,
  options: StartServiceOptions = {},
): Promise<RunningService> {
  const running = new RunningService(service, options.port ?? (await freePort()), {
    ...options,
    portIsOurs: options.port === undefined,
  });
  if (options.waitUntilReady === false) {
    running.process.start();
    return running;
  }
  try {
    return await running.start();
  } catch (error) {
    await running.kill();
    throw error;
  }
}

/**
 * Polls `/readyz` until the process itself answers 200: 'ready', 'port taken' when another
 * process answers on its port, or why it is not ready (it exited, or the time ran out).
 */
async function waitUntilReady(
  url: string,
  process: ServiceProcess,
  timeoutMs: number,
): Promise<'ready' | 'port taken' | string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!process.running) return `it exited (last /readyz: ${last})`;
    const answer = await askReadiness(url, process.pid);
    if (answer.state === 'ready') return 'ready';
    if (answer.state === 'another process') {
      // Not this process's answer; it will fail to listen and exit in a moment.
      last = `200 from pid ${String(answer.pid)}, not ${process.pid}`;
      if (!process.running || Date.now() + 1_000 > deadline) return 'port taken';
    } else last = answer.detail;
    await sleep(100);
  }
  return `/readyz did not answer 200 in ${timeoutMs} ms (last: ${last})`;
}
