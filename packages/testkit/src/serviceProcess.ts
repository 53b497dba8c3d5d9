import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot, serviceEntry } from '@exactly/infra';

export type ServiceProcessOptions = (
  | {
      /** One of the project's services by package name (`relay` is `@exactly/relay/main`). */
      service: string;
    }
  | {
      /** Any other script: absolute, or relative to the repository (a benchmark's peer, say). */
      entry: string;
    }
) & {
  env: Record<string, string>;
  /** Name shown in front of its output when EXACTLY_TEST_LOGS=1. */
  name?: string;
  /** Runs it with this group id (fault tests cut one process group off the network with iptables). */
  gid?: number;
};

/**
 * A service run as a real separate process, as in production, for end-to-end and fault tests:
 * start, stop gracefully, kill -9, pause (SIGSTOP) and resume. Its output is kept for
 * assertions and shown live with EXACTLY_TEST_LOGS=1.
 */
export class ServiceProcess {
  readonly name: string;
  private child: ChildProcess | undefined;
  private output: string[] = [];
  private readonly options: ServiceProcessOptions;
  private readonly entry: string;

  constructor(options: ServiceProcessOptions) {
    this.options = options;
    this.entry = 'service' in options ? serviceEntry(options.service) : resolve(repoRoot, options.entry);
    this.name = options.name ?? ('service' in options ? options.service : options.entry);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  get logs(): string {
    return this.output.join('');
  }

  start(extraEnv: Record<string, string> = {}): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', this.entry], {
      env: { ...process.env, ...this.options.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(this.options.gid === undefined ? {} : { gid: this.options.gid }),
    });
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      this.output.push(text);
      if (process.env.EXACTLY_TEST_LOGS === '1') process.stderr.write(`[${this.name}] ${text}`);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
  }

  /** Waits until a line of its output matches, or throws with the output so far. */
  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.logs)) {
      if (!this.running) throw new Error(`${this.name} exited before printing ${pattern}:\n${this.logs}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not print ${pattern} in ${timeoutMs} ms:\n${this.logs}`);
      await sleep(50);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    await this.signalAndWait('SIGTERM', graceMs);
  }

  /** kill -9: no clean-up runs, as in a crash. */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL', 0);
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  private async signalAndWait(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill(signal);
    if (signal !== 'SIGKILL') {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    } else {
      await exited;
    }
  }
}
