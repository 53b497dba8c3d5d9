import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { serviceEntry } from '@exactly/infra';
import pg from 'pg';
import { type RunningService, startService } from './startService.js';
import { type KeyStateName, waitForKeyState } from './waitForKeyState.js';

const databaseUrl = () => process.env.DATABASE_URL ?? '';

export interface Caller {
  accountId: string;
  apiKey: string;
  keyId: string;
}

// biome-ignore lint/suspicious/noExplicitAny: assertions read whatever JSON the API answered
type Json = any;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

/** A client of a real ingest API process: its own on a free port (`start`), or a pipeline's. */
export class IngestApi {
  readonly url: string;
  private readonly service: RunningService;

  constructor(service: RunningService) {
    this.url = service.url;
    this.service = service;
  }

  /** A real ingest API process with one profile, ready. */
  static async start(profile: string, env: Record<string, string> = {}): Promise<IngestApi> {
    const service = await startService('ingest-api', {
      name: `ingest-api:${profile}`,
      // Test runs start every profile against one database: each switches on purpose.
      env: {
        DATABASE_URL: databaseUrl(),
        IDEMPOTENCY_PROFILE: profile,
        IDEMPOTENCY_PROFILE_SWITCH: 'true',
        ...env,
      },
    });
    return new IngestApi(service);
  }

  async stop(): Promise<void> {
    await this.service.stop();
  }

  async request(
    method: string,
    path: string,
    {
      caller,
      body,
      headers = {},
      signal,
    }: { caller?: Caller; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Answer> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(caller ? { authorization: `Bearer ${caller.apiKey}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
    const text = await response.text();
    let json: Json = {};
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  post(path: string, caller: Caller, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    return this.request('POST', path, { caller, body, headers });
  }

  get(path: string, caller: Caller, headers: Record<string, string> = {}): Promise<Answer> {
    return this.request('GET', path, { caller, headers });
  }

  /** The caller's messages, newest first, as the API lists them. */
  async messages(caller: Caller): Promise<{ id: string; to: string }[]> {
    return (await this.get('/v1/messages?limit=100', caller)).json.data;
  }

  async keyState(caller: Caller, key: string): Promise<Json> {
    return (await this.get(`/v1/idempotency-keys/${encodeURIComponent(key)}`, caller)).json;
  }

  /** Polls the key's state until it reads `state` (see `waitForKeyState`), and returns it. */
  async waitForKeyState(caller: Caller, key: string, state: KeyStateName): Promise<Json> {
    return await waitForKeyState(this.url, caller.apiKey, key, state);
  }
}

const exec = promisify(execFile);

/** Runs the built `exactly` with `args` and the test run's database, as the operator would; its JSON output. */
async function exactlyJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await exec(process.execPath, [serviceEntry('cli'), ...args, '--json'], {
    env: { ...process.env, DATABASE_URL: databaseUrl() },
  });
  return JSON.parse(stdout);
}

/** `exactly accounts create <name> --json`, run as the operator would. */
export function createAccount(name: string): Promise<Caller> {
  return exactlyJson(['accounts', 'create', name]);
}

/** `exactly keys create <account-id> --json`: a second API key of the same account. */
export function createKey(accountId: string): Promise<Caller> {
  return exactlyJson(['keys', 'create', accountId]);
}

/**
 * Keeps the account's requests in flight: a transaction of our own locks the account's row, and
 * every write of that account waits for it (its records and messages reference the account).
 */
export async function holdAccount(accountId: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT id FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
  return {
    async release() {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}
