import { recordHeaders } from '@exactly/contracts';
import { createKafka } from '@exactly/messaging';
import { compareMessageProjections, openOrm, runSql } from '@exactly/persistence';
import type { FakeProvider } from '@exactly/testkit';
import type { History } from './history.ts';

export interface CheckInput {
  databaseUrl: string;
  accountId: string;
  history: History;
  provider: FakeProvider;
  kafkaBrokers: string[];
  deadLetterTopic: string;
  /** How long to wait for every accepted message to reach `sent` or `failed`. */
  settleTimeoutMs: number;
}

/** A scenario's figures, as RESULTS.md reports them. */
export interface Figures {
  /** Distinct commands the system accepted (messages rows of the scenario's account). */
  accepted: number;
  /** Commands the client saw a 2xx for. */
  acknowledged: number;
  clientRetries: number;
  indeterminate: number;
  /** Messages the provider sent (distinct idempotency keys). */
  sends: number;
  /** Extra provider calls with a key it had already sent for: what a provider that ignores keys would have sent twice. */
  providerRepeatCalls: number;
  /** Commands run twice: a client key with two messages, or a second send. */
  duplicates: number;
  /** Acknowledged commands missing, or accepted ones never sent nor failed with a reason. */
  losses: number;
  deadLetters: number;
  /** From the end of the load until every accepted message was sent or failed. */
  settleMs: number;
}

export interface Verdict {
  figures: Figures;
  /** Each broken invariant, in words; empty when the run kept every promise. */
  violations: string[];
}

interface MessageRow {
  id: string;
  idempotency_key: string;
  status: string;
}

async function waitForSettled(
  read: () => Promise<MessageRow[]>,
  timeoutMs: number,
): Promise<{ rows: MessageRow[]; settleMs: number }> {
  const started = Date.now();
  for (;;) {
    const rows = await read();
    const open = rows.filter((row) => row.status !== 'sent' && row.status !== 'failed');
    if (open.length === 0 || Date.now() - started > timeoutMs)
      return { rows, settleMs: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every record on the dead-letter topic, with its headers. */
async function readDeadLetters(brokers: string[], topic: string): Promise<Record<string, string>[]> {
  const kafka = createKafka({ brokers, clientId: 'faults-checker' });
  const admin = kafka.admin();
  await admin.connect();
  const exists = (await admin.listTopics()).includes(topic);
  const offsets = exists ? await admin.fetchTopicOffsets(topic) : [];
  await admin.disconnect();
  const expected = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  if (expected === 0) return [];
  const consumer = kafka.consumer({ groupId: `faults-checker-${Date.now()}` });
  const records: Record<string, string>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        records.push(
          Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        );
        if (records.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records;
}

/**
 * Checks the promises of DESIGN.md from the database, the topics and the fake provider, after
 * the load stopped and faults were lifted: every acknowledged command sent exactly once, no send
 * without an accepted command, every stream whole and its projection equal to a rebuild, every
 * dead letter with a reason.
 */
export async function checkInvariants(input: CheckInput): Promise<Verdict> {
  const violations: string[] = [];
  const orm = await openOrm({ databaseUrl: input.databaseUrl, poolSize: 2 });
  try {
    const readMessages = async () =>
      (
        await runSql<MessageRow>(
          orm.em.fork(),
          'SELECT id, idempotency_key, status FROM messages WHERE account_id = $1',
          [input.accountId],
        )
      ).rows;
    const { rows, settleMs } = await waitForSettled(readMessages, input.settleTimeoutMs);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const messagesPerKey = new Map<string, string[]>();
    for (const row of rows)
      messagesPerKey.set(row.idempotency_key, [...(messagesPerKey.get(row.idempotency_key) ?? []), row.id]);

    let duplicates = 0;
    for (const [key, ids] of messagesPerKey) {
      if (ids.length > 1) {
        duplicates += ids.length - 1;
        violations.push(`key ${key} was accepted ${ids.length} times: ${ids.join(', ')}`);
      }
    }

    let losses = 0;
    const acknowledged = input.history.acknowledged();
    for (const [key, ids] of acknowledged) {
      if (ids.size > 1)
        violations.push(`key ${key} was answered with different messages: ${[...ids].join(', ')}`);
      for (const id of ids) {
        if (!byId.has(id)) {
          losses += 1;
          violations.push(`acknowledged message ${id} (key ${key}) is not in the database`);
        }
      }
    }

    const sent = input.provider.sentKeys;
    for (const row of rows) {
      if (row.status === 'sent' && !sent.has(row.id)) {
        violations.push(`message ${row.id} is marked sent but the provider never sent it`);
      }
      if (row.status !== 'sent' && row.status !== 'failed') {
        losses += 1;
        violations.push(
          `message ${row.id} (key ${row.idempotency_key}) is still ${row.status} after ${settleMs} ms`,
        );
      }
    }
    let sends = 0;
    for (const key of sent) {
      if (!byId.has(key)) continue;
      sends += 1;
    }
    const strangers = [...sent].filter((key) => !byId.has(key) && key.startsWith('msg_'));
    // The provider is shared by the scenario only; a key it sent for must be an accepted message.
    for (const key of strangers) violations.push(`the provider sent ${key}, which no accepted command names`);

    const providerRepeatCalls = input.provider.calls.filter((call) => call.outcome === 'replayed').length;

    const projection = await compareMessageProjections(orm.em.fork(), { accountId: input.accountId });
    for (const mismatch of projection.mismatches.slice(0, 20)) {
      violations.push(
        `message ${mismatch.id}: projection differs from its stream in ${mismatch.fields.join(', ')}`,
      );
    }

    const deadLetters = await readDeadLetters(input.kafkaBrokers, input.deadLetterTopic);
    for (const [index, headers] of deadLetters.entries()) {
      if (!headers[recordHeaders.deadLetterReason])
        violations.push(`dead letter #${index} has no reason header`);
    }

    return {
      violations,
      figures: {
        accepted: rows.length,
        acknowledged: acknowledged.size,
        clientRetries: input.history.retries(),
        indeterminate: input.history.count('indeterminate'),
        sends,
        providerRepeatCalls,
        duplicates,
        losses,
        deadLetters: deadLetters.length,
        settleMs,
      },
    };
  } finally {
    await orm.close();
  }
}
