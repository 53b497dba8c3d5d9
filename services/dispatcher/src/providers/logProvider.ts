import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { type Orm, runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { failure, type Provider, type SendOutcome, type SendRequest } from './provider.js';

export interface LogProviderOptions {
  orm: Orm;
  /** Each new send is appended to this file as one JSON line. */
  file: string;
  /** Sends written per statement at most (default 1,000). */
  maxBatch?: number;
}

interface Pending {
  request: SendRequest;
  resolve: (outcome: SendOutcome) => void;
}

/**
 * The local provider: records each send in `log_provider_sends` (the provider key is the
 * primary key, so a repeated key is a replay, never a second send) and appends it to a file.
 * Calls that arrive together are written in one statement; that is invisible to callers, who
 * still get one outcome per send. The table is the record; the file is for people, written after
 * the row commits (a crash in between can leave a send out of the file, never twice in it).
 */
export function createLogProvider({ orm, file, maxBatch = 1_000 }: LogProviderOptions): Provider {
  mkdirSync(dirname(file), { recursive: true });
  const out: WriteStream = createWriteStream(file, { flags: 'a' });
  const queue: Pending[] = [];
  let scheduled = false;
  const flushing = new Set<Promise<void>>();

  // The table is the record; the file is for people, written after the row commits.
  function appendLines(requests: readonly SendRequest[], sentAt: ReadonlyMap<string, string>) {
    const lines: string[] = [];
    for (const request of requests) {
      const at = sentAt.get(request.providerKey);
      if (at === undefined) continue;
      lines.push(
        `${JSON.stringify({ at, providerKey: request.providerKey, accountId: request.accountId, attempt: request.attempt, ...request.message })}\n`,
      );
    }
    if (lines.length > 0) out.write(lines.join(''));
  }

  const flush = () => {
    const running = write();
    flushing.add(running);
    void running.finally(() => flushing.delete(running));
    return running;
  };

  const write = async () => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    if (batch.length === 0) return;
    try {
      const requests = batch.map((item) => item.request);
      const sentAt = await writeSends(orm.em.fork(), requests);
      for (const { request, resolve } of batch) resolve(accepted(request, sentAt));
      appendLines(requests, sentAt);
    } catch (error) {
      for (const { resolve } of batch) resolve(failure(error, true));
    }
  };

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  }

  return {
    name: 'log',
    // The key is the table's primary key: a repeated call is a replay.
    honoursKey: true,
    // The executor makes these sends in the transaction that records their outcomes.
    withOutcome: { write: writeSends, committed: appendLines },
    send(request: SendRequest, signal: AbortSignal): Promise<SendOutcome> {
      if (signal.aborted) return Promise.resolve(failure(signal.reason, true));
      return new Promise((resolve) => {
        queue.push({ request, resolve });
        if (queue.length >= maxBatch) void flush();
        else schedule();
      });
    },
    async close() {
      while (queue.length > 0) await flush();
      await Promise.all(flushing);
      out.end();
      await once(out, 'close');
    },
  };
}

/**
 * One multi-row insert in the caller's transaction; ON CONFLICT DO NOTHING is what makes the key
 * honoured. Returns the keys inserted now with their time; a key left out was sent before.
 */
async function writeSends(em: EntityManager, requests: readonly SendRequest[]): Promise<Map<string, string>> {
  if (requests.length === 0) return new Map();
  const { rows } = await runSql<{ provider_key: string; sent_at: string }>(
    em,
    `INSERT INTO log_provider_sends (provider_key, message_id, account_id, channel, recipient, attempt)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[])
     ON CONFLICT (provider_key, account_id) DO NOTHING
     RETURNING provider_key, sent_at`,
    [
      requests.map((request) => request.providerKey),
      requests.map((request) => request.messageId),
      requests.map((request) => request.accountId),
      requests.map((request) => request.message.channel),
      requests.map((request) => request.message.to),
      requests.map((request) => request.attempt),
    ],
  );
  return new Map(rows.map((row) => [row.provider_key, row.sent_at]));
}

function accepted(request: SendRequest, sentAt: ReadonlyMap<string, string>): SendOutcome {
  return {
    status: 'accepted',
    replayed: !sentAt.has(request.providerKey),
    providerMessageId: request.providerKey,
  };
}
