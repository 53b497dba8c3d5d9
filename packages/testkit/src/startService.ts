import { freePort } from './freePort.js';
import { ServiceProcess } from './serviceProcess.js';
import { waitForHttp } from './waitForHttp.js';

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
  readonly port: number;
  private readonly readyTimeoutMs: number;

  constructor(service: string, port: number, options: StartServiceOptions = {}) {
    this.port = port;
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

  /** Starts the process unless it runs, and waits until /readyz answers 200; throws with its output. */
  async start(timeoutMs = this.readyTimeoutMs): Promise<this> {
    if (!this.process.running) this.process.start();
    try {
      await waitForHttp(`${this.url}/readyz`, timeoutMs);
    } catch (error) {
      throw new Error(`${this.name} did not get ready:\n${this.process.logs.slice(-4_000)}`, {
        cause: error,
      });
    }
    return this;
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
  const running = new RunningService(service, options.port ?? (await freePort()), options);
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
