import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  crashAndRestartLocalPostgres,
  localPostgresUrl,
  startLocalPostgres,
  stopLocalPostgres,
} from '@exactly/infra';
import { freePort } from '@exactly/testkit';
import pg from 'pg';
import { DiskFiller } from './diskFiller.ts';
import { inStateDir } from './inStateDir.ts';
import { run } from './systemTools.ts';

/**
 * A PostgreSQL of a scenario's own (never the shared one other suites use), on a free port,
 * optionally on a small tmpfs so its disk can be filled: it can be crashed, restarted, cut off
 * by port with iptables and starved of disk without touching anything else.
 */
export class ScratchPostgres {
  readonly dir: string;
  readonly port: number;
  private readonly tmpfs: boolean;
  private readonly filler: DiskFiller;

  private constructor(dir: string, port: number, tmpfs: boolean) {
    this.dir = dir;
    this.port = port;
    this.tmpfs = tmpfs;
    this.filler = new DiskFiller(dir);
  }

  /** Initialises and starts the server (a few seconds); each scenario makes its own database on it. */
  static async start(options: { tmpfsMb?: number } = {}): Promise<ScratchPostgres> {
    const dir = `/tmp/exactly-faults-pg-${randomBytes(4).toString('hex')}`;
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const tmpfs = options.tmpfsMb !== undefined;
    if (tmpfs) {
      const mounted = run('mount', ['-t', 'tmpfs', '-o', `size=${options.tmpfsMb}m,mode=0755`, 'tmpfs', dir]);
      if (mounted.status !== 0) throw new Error(`mounting a tmpfs on ${dir} failed: ${mounted.output}`);
    }
    const server = new ScratchPostgres(dir, await freePort(), tmpfs);
    try {
      await inStateDir(dir, () => startLocalPostgres(server.port));
      server.assertOwnsData();
      // Small WAL bounds, so checkpoints recycle WAL by volume and only a deliberate fill runs out of disk.
      await server.query("ALTER SYSTEM SET max_wal_size = '64MB'");
      await server.query("ALTER SYSTEM SET min_wal_size = '32MB'");
      await server.query('SELECT pg_reload_conf()');
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /**
   * The infra functions fall back to a per-repository folder under /var/tmp when the OS user
   * `postgres` cannot reach the state folder; that folder may hold the shared server. Every
   * action that stops or kills checks first that the server's data really lives in our folder.
   */
  private get ownsData(): boolean {
    return existsSync(join(this.dir, 'postgres', 'data', 'PG_VERSION'));
  }

  private assertOwnsData(): void {
    if (!this.ownsData)
      throw new Error(
        `the scratch PostgreSQL's data is not under ${this.dir}; refusing to touch another server`,
      );
  }

  get url(): string {
    return localPostgresUrl(this.port);
  }

  async query(text: string): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  }

  /** kill -9 of the postmaster, then a start (crash recovery replays the WAL); resolves when it answers. */
  async crashAndRestart(): Promise<void> {
    this.assertOwnsData();
    await inStateDir(this.dir, () => crashAndRestartLocalPostgres(this.port));
  }

  /** Starts the server if it is down (after a PANIC, say); a no-op when it runs. */
  async ensureRunning(): Promise<void> {
    this.assertOwnsData();
    await inStateDir(this.dir, () => startLocalPostgres(this.port));
  }

  /**
   * SIGSTOP of the whole server (the postmaster and every backend) for `ms`, then SIGCONT:
   * connections stay open and nothing answers, as in a frozen VM.
   */
  async freeze(ms: number): Promise<number> {
    this.assertOwnsData();
    const postmaster = Number(
      (await readFile(join(this.dir, 'postgres', 'data', 'postmaster.pid'), 'utf8')).split('\n')[0],
    );
    const children = run('pgrep', ['-P', String(postmaster)])
      .output.split('\n')
      .map(Number)
      .filter((pid) => pid > 0);
    const all = [postmaster, ...children];
    for (const pid of all) process.kill(pid, 'SIGSTOP');
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      for (const pid of all) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // A backend that ended meanwhile has nothing to resume.
        }
      }
    }
    return all.length;
  }

  /** Fills the file system up to the last byte with a file of zeros (tmpfs only). */
  async fillDisk(): Promise<number> {
    if (!this.tmpfs) throw new Error('only a tmpfs scratch server can be filled');
    return this.filler.fill();
  }

  /** Deletes the filler: the disk has room again. */
  async freeDisk(): Promise<void> {
    await this.filler.free();
  }

  /** Stops the server, unmounts the tmpfs and deletes the folder. */
  async stop(): Promise<void> {
    await this.freeDisk();
    if (this.ownsData) await inStateDir(this.dir, () => stopLocalPostgres()).catch(() => {});
    if (this.tmpfs) run('umount', ['-l', this.dir]);
    await rm(this.dir, { recursive: true, force: true });
  }
}
