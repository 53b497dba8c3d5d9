import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  isAlive,
  isOurProcess,
  kafkaTopology,
  startLocalKafka,
  startLocalPostgres,
  stopLocalKafka,
  stopLocalPostgres,
} from './index.js';

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
