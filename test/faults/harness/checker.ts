import { recordHeaders } from '@exactly/contracts';
import { compareMessageProjections } from '@exactly/message-store';
import { createKafka } from '@exactly/messaging';
import { findStuckCommands } from '@exactly/operations';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import type { ProviderCall } from '@exactly/testkit';
import type { Admin } from 'kafkajs';
import type { History } from './history.ts';
import type { AmbiguityPolicy } from './pipeline.ts';
import {
  checkCommandOrder,
  checkEventOrder,
  commandsMissingFromTopic,
  readTopicEvidence,
  readWholeTopic,
} from './topicEvidence.ts';

export interface CheckInput {
  databaseUrl: string;
  accountId: string;
  history: History;
  /**
   * The provider's raw call log: the fake provider's, or a view of it limited to one run. Every
   * call counts, whatever the dispatcher believes it did.
   */
  provider: { readonly calls: readonly ProviderCall[] };
  /**
   * The dispatchers' policy after an ambiguous call. `hold` (a provider that never deduplicates):
   * a key sent twice is a duplicate and every ambiguous attempt must end held. `retry` (a provider
   * that honours keys): calls after the provider took a key are allowed only up to the ambiguous
   * attempts recorded for it.
   */
  onAmbiguous: AmbiguityPolicy;
  kafkaBrokers: string[];
  /** With `events`, both topics are read back independently and checked for losses and order. */
  topics: { commands: string; deadLetters: string; events?: string };
  /** How long to wait for every accepted message to reach `sent` or `failed`. */
  settleTimeoutMs: number;
  /**
   * The dispatchers' consumer group. With it, the check also waits until the group's stored
   * offsets reach the end of the commands topic: every message settled is not enough after a
   * replay, whose records come back after the last command (a command run twice would show only
   * once they are consumed).
   */
  consumerGroup?: string;
  /**
   * The dispatchers' EFFECT_MAX_ATTEMPTS. A message that failed after the provider refused that
   * many calls for it, and nothing else, was given up on by the rule (a fault that fails a share
   * of the calls makes a few, more in a long run): reported to its sender, not lost. Unset: every
   * failed message is a loss.
   */
  effectMaxAttempts?: number;
  /**
   * Dead letters the scenario caused on purpose, by code (`command_not_accepted: 5`, say); any
   * other dead letter is a violation, and so is a different count of an expected code.
   */
  expectedDeadLetters?: Record<string, number>;
  /** Read the dead-letter topic and compare it with the table (seconds); false checks the table only. */
  readDeadLetterTopic?: boolean;
  /** How often to look whether everything settled (default 250 ms). */
  pollMs?: number;
  /** An open ORM to use (a model run checks often); by default one is opened and closed. */
  orm?: Orm;
}

/** A scenario's figures, as RESULTS.md reports them. */
export interface Figures {
  /** Distinct keys the client tried. */
  commands: number;
  /** Distinct commands the system accepted (messages rows of the scenario's account). */
  accepted: number;
  /** Keys the client saw a 2xx for. */
  acknowledged: number;
  clientRetries: number;
  indeterminate: number;
  /** Attempts refused by load shedding (`overloaded`, `rate_limited`). */
  shed: number;
  /** Messages the provider sent (distinct idempotency keys of this run's messages). */
  sends: number;
  /** Every call in the provider's raw log (sends, replays, refusals, stalls). */
  providerCalls: number;
  /** Calls beyond the first per key, from the raw log, whatever the provider answered. */
  providerRepeats: number;
  /** Messages held at the end: an ambiguous call, not sent again (a terminal state; not a loss). */
  held: number;
  /**
   * Attempts whose outcome was unknown, from the system's records: under `hold` each `MessageHeld`;
   * under `retry` each resume (`effects.resumes`) and each attempt row with outcome `ambiguous`.
   */
  ambiguousAttempts: number;
  /** Commands run twice: a key with two messages, a second dispatch, a second recorded send, a key the provider sent twice. */
  duplicates: number;
  /** Acknowledged commands missing, or accepted ones never sent (a held message is not one). */
  losses: number;
  /** Messages failed after the provider refused all of EFFECT_MAX_ATTEMPTS calls (not a loss). */
  refusedToTheEnd?: number;
  /** Acknowledged commands the commands topic never received (read back by the checker's own consumer). */
  topicLosses: number;
  /**
   * Messages whose events arrive on the events topic out of version order or with a gap, plus
   * Kafka keys whose commands reach the commands topic out of the order they were committed.
   */
  outOfOrder: number;
  /** Kafka keys with more than one command on the commands topic (the material of the commit-order check). */
  keysWithSeveralCommands: number;
  deadLetters: number;
  /** From the end of the faults until every accepted message was sent or failed. */
  settleMs: number;
}

export interface Verdict {
  figures: Figures;
  /** Each broken invariant, in words; empty when the run kept every promise. */
  violations: string[];
  /** Why messages were held (each `MessageHeld` event's reason, shortened), with how many. */
  heldReasons: Record<string, number>;
}

interface MessageRow {
  id: string;
  message_key: string;
  status: string;
  version: number;
}

/** The terminal states: `held` waits for a late answer or an operator, and is never sent again by itself. */
const settledStatuses = ['sent', 'failed', 'held'];
const settled = (row: MessageRow) => settledStatuses.includes(row.status);

async function readMessages(orm: Orm, accountId: string): Promise<MessageRow[]> {
  const { rows } = await runSql<MessageRow>(
    orm.em.fork(),
    'SELECT id, message_key, status, version FROM messages WHERE account_id = $1',
    [accountId],
  );
  return rows;
}

/** Waits until every message is sent, failed or held and the run's dead letters have left the outbox. */
async function waitForSettled(
  orm: Orm,
  input: CheckInput,
): Promise<{ rows: MessageRow[]; settleMs: number; unconsumed: number | undefined }> {
  const started = Date.now();
  const admin =
    input.consumerGroup === undefined
      ? undefined
      : createKafka({ brokers: input.kafkaBrokers, clientId: 'faults-checker' }).admin();
  await admin?.connect().catch(() => undefined);
  try {
    for (;;) {
      const { rows: counts } = await runSql<{ unsettled: string; pending: string }>(
        orm.em.fork(),
        `SELECT (SELECT count(*) FROM messages
                  WHERE account_id = $1 AND status <> ALL($3::text[])) AS unsettled,
                (SELECT count(*) FROM outbox WHERE topic = $2 AND published_at IS NULL) AS pending`,
        [input.accountId, input.topics.deadLetters, settledStatuses],
      ).catch(() => ({ rows: [] }));
      const unconsumed =
        admin === undefined || input.consumerGroup === undefined
          ? 0
          : await recordsNotConsumed(orm, admin, input.consumerGroup, input.topics.commands).catch(
              () => undefined,
            );
      const done = counts[0]?.unsettled === '0' && counts[0]?.pending === '0' && unconsumed === 0;
      const waited = Date.now() - started;
      if (done || waited > input.settleTimeoutMs) {
        const rows = await readMessages(orm, input.accountId).catch(() => undefined);
        if (rows !== undefined) return { rows, settleMs: Date.now() - started, unconsumed };
      }
      // Counted, not read, while it waits, and less often after the first seconds: a long run's
      // hundreds of thousands of messages, scanned every 250 ms, would load the database under test.
      const pollMs = input.pollMs ?? 250;
      await new Promise((resolve) => setTimeout(resolve, waited < 10_000 ? pollMs : Math.max(pollMs, 2_000)));
    }
  } finally {
    await admin?.disconnect().catch(() => undefined);
  }
}

/**
 * Records of the commands topic the group has not consumed yet, from its stored offsets (what the
 * dispatchers resume from). Records below a partition's start were deleted by retention and can
 * no longer be consumed.
 */
async function recordsNotConsumed(orm: Orm, admin: Admin, group: string, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const { rows } = await runSql<{ partition: number; next_offset: string }>(
    orm.em.fork(),
    'SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
    [group, topic],
  );
  const stored = new Map(rows.map((row) => [Number(row.partition), BigInt(row.next_offset)]));
  let behind = 0n;
  for (const { partition, low, high } of ends) {
    const from = [stored.get(partition) ?? 0n, BigInt(low)].reduce((a, b) => (a > b ? a : b));
    if (BigInt(high) > from) behind += BigInt(high) - from;
  }
  return Number(behind);
}

interface DeadLetterSeen {
  code: string;
  reason: string;
  source: string;
}

/** Every record on the dead-letter topic, read by the checker's own consumer (see readWholeTopic). */
async function readDeadLetterTopic(brokers: string[], topic: string): Promise<DeadLetterSeen[]> {
  return (await readWholeTopic(brokers, topic)).map(({ headers }) => ({
    code: headers[recordHeaders.deadLetterCode] ?? '',
    reason: headers[recordHeaders.deadLetterReason] ?? '',
    source: `${headers[recordHeaders.originalPartition] ?? ''}/${headers[recordHeaders.originalOffset] ?? ''}`,
  }));
}

/**
 * Checks the promises of DESIGN.md from the database, the topics and the fake provider, after
 * the faults were lifted: every acknowledged command sent exactly once, nothing stored for a
 * command that was refused outright, no send without an accepted command, every stream whole
 * (versions 1..n, one acceptance, one dispatch, one recorded send) and its projection equal to a
 * rebuild, every dead letter on the topic with a reason, matching the dispatcher's own table, and
 * none the scenario did not cause.
 */
export async function checkInvariants(input: CheckInput): Promise<Verdict> {
  const violations: string[] = [];
  const orm = input.orm ?? (await openOrm({ databaseUrl: input.databaseUrl, poolSize: 2 }));
  try {
    const { rows, settleMs, unconsumed } = await waitForSettled(orm, input);
    if (unconsumed === undefined)
      violations.push("the commands topic's end could not be compared with the group's stored offsets");
    else if (unconsumed > 0)
      violations.push(
        `the check began with ${unconsumed} records of the commands topic not yet consumed (settle timeout reached)`,
      );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const messagesPerKey = new Map<string, string[]>();
    for (const row of rows)
      messagesPerKey.set(row.message_key, [...(messagesPerKey.get(row.message_key) ?? []), row.id]);

    let duplicates = 0;
    for (const [key, ids] of messagesPerKey) {
      if (ids.length > 1) {
        duplicates += ids.length - 1;
        violations.push(`key ${key} was accepted ${ids.length} times: ${ids.join(', ')}`);
      }
    }

    let losses = 0;
    let refusedToTheEnd = 0;
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
    for (const key of input.history.refusedOnly()) {
      if (messagesPerKey.has(key))
        violations.push(`key ${key} was refused at every attempt, yet a message was stored for it`);
    }

    const log = providerLog(input.provider.calls);
    const sent = new Set([...log].filter(([, entry]) => entry.sends > 0).map(([key]) => key));
    const where = await locateUnsettled(
      orm,
      rows.filter((row) => !settled(row)),
    );
    for (const row of rows) {
      if (!settled(row)) {
        losses += 1;
        violations.push(
          `message ${row.id} (key ${row.message_key}) is still ${row.status} after ${settleMs} ms (${where.get(row.id)})`,
        );
      } else if (row.status === 'failed') {
        const calls = log.get(row.id);
        if (calls !== undefined && refusedEveryCall(calls, input.effectMaxAttempts)) refusedToTheEnd += 1;
        else {
          losses += 1;
          violations.push(
            `message ${row.id} (key ${row.message_key}) failed (${calls?.calls ?? 0} provider calls, ${calls?.refused ?? 0} refused)`,
          );
        }
      } else if (row.status === 'sent' && !sent.has(row.id)) {
        violations.push(`message ${row.id} is marked sent but the provider never sent it`);
      }
    }
    const sends = [...sent].filter((key) => byId.has(key)).length;
    // The provider serves this scenario only: a key it sent for must be an accepted message.
    for (const key of log.keys()) {
      if (!byId.has(key))
        violations.push(`the provider was called for ${key}, which no accepted command names`);
    }
    const provider = await checkProviderLog(orm, rows, log, input.onAmbiguous, violations);
    duplicates += provider.duplicateSends;

    duplicates += await checkStreams(orm, rows, violations);

    const projection = await compareMessageProjections(orm.em.fork(), { accountId: input.accountId });
    for (const mismatch of projection.mismatches.slice(0, 20)) {
      violations.push(
        `message ${mismatch.id}: projection differs from its stream in ${mismatch.fields.join(', ')}`,
      );
    }

    const deadLetters = await checkDeadLetters(orm, input, violations);

    // The operator's audit (`exactly audit`) must agree: nothing of this run is left in flight.
    const stuck = (await findStuckCommands(orm.em.fork(), { olderThanMs: 0, limit: 1_000 })).filter(
      (command) => command.accountId === input.accountId,
    );
    for (const command of stuck.slice(0, 20))
      violations.push(`the audit lists message ${command.messageId} as ${command.status}: ${command.why}`);

    const acknowledgedIds = [...acknowledged.values()].flatMap((ids) => [...ids]);
    const { topicLosses, outOfOrder, keysWithSeveralCommands } = await checkTopics(
      input,
      acknowledgedIds,
      violations,
    );

    return {
      violations,
      heldReasons: await heldReasons(orm, input.accountId, log),
      figures: {
        commands: input.history.keys(),
        accepted: rows.length,
        acknowledged: acknowledged.size,
        clientRetries: input.history.retries(),
        indeterminate: input.history.count('indeterminate'),
        shed: input.history.attempts.filter((a) => a.code === 'overloaded' || a.code === 'rate_limited')
          .length,
        sends,
        providerCalls: input.provider.calls.length,
        providerRepeats: provider.repeats,
        held: rows.filter((row) => row.status === 'held').length,
        ambiguousAttempts: provider.ambiguousAttempts,
        duplicates,
        losses,
        refusedToTheEnd,
        topicLosses,
        outOfOrder,
        keysWithSeveralCommands,
        deadLetters,
        settleMs,
      },
    };
  } finally {
    if (!input.orm) await orm.close();
  }
}

/**
 * The reasons of the run's `MessageHeld` events (numbers taken out so that alike ones add up),
 * each with whether the provider's log has a send of that message: a message held though the
 * provider never got its call was held with its outcome in fact known.
 */
async function heldReasons(
  orm: Orm,
  accountId: string,
  log: Map<string, KeyLog>,
): Promise<Record<string, number>> {
  const { rows } = await runSql<{ id: string; reason: string | null }>(
    orm.em.fork(),
    `SELECT m.id, v.data ->> 'reason' AS reason FROM message_events v JOIN messages m ON m.id = v.stream_id
      WHERE m.account_id = $1 AND v.type = 'MessageHeld'`,
    [accountId],
  );
  const reasons: Record<string, number> = {};
  for (const { id, reason } of rows) {
    const seen = (log.get(id)?.sends ?? 0) > 0 ? 'the provider had sent it' : 'the provider never sent it';
    const short = `${(reason ?? 'no reason').replaceAll(/\d+/g, 'N').slice(0, 160)} (${seen})`;
    reasons[short] = (reasons[short] ?? 0) + 1;
  }
  return reasons;
}

interface KeyLog {
  calls: number;
  /** Calls the provider refused (answered with a failure, nothing sent). */
  refused: number;
  /** Calls the provider sent (a replay of a key it honours is not one). */
  sends: number;
  /** Calls after the first one the provider took (sent or replayed): each would be a second message from a provider that ignores keys. */
  afterTaken: number;
}

/** The provider refused every call for a key, and as many as the dispatchers try at most. */
function refusedEveryCall(calls: KeyLog, maxAttempts: number | undefined): boolean {
  return maxAttempts !== undefined && calls.refused === calls.calls && calls.calls >= maxAttempts;
}

/** The raw call log per provider key (the message id). */
function providerLog(calls: readonly ProviderCall[]): Map<string, KeyLog> {
  const log = new Map<string, KeyLog & { taken: boolean }>();
  for (const call of calls) {
    const entry = log.get(call.key) ?? { calls: 0, refused: 0, sends: 0, afterTaken: 0, taken: false };
    entry.calls += 1;
    if (call.outcome === 'failed') entry.refused += 1;
    if (entry.taken) entry.afterTaken += 1;
    if (call.outcome === 'sent') entry.sends += 1;
    if (call.outcome === 'sent' || call.outcome === 'replayed') entry.taken = true;
    log.set(call.key, entry);
  }
  return log;
}

interface EffectFacts {
  message_id: string;
  attempt: number;
  resumes: number;
  ambiguous_rows: number;
  held_events: number;
  accepted_after_held: boolean;
}

/**
 * Cross-checks the provider's raw call log with what the dispatcher recorded (effects,
 * effect_attempts, the stream). Every call must be one the dispatcher wrote ahead (calls per key
 * at most its attempts, plus its resumes under `retry`). Under `hold`: a key sent twice is a
 * duplicate, every ambiguous attempt ends held (or sent by its own late answer), and a key called
 * ends sent or held. Under `retry`: calls after the provider took a key are at most the ambiguous
 * attempts recorded for it.
 */
async function checkProviderLog(
  orm: Orm,
  rows: MessageRow[],
  log: Map<string, KeyLog>,
  policy: AmbiguityPolicy,
  violations: string[],
): Promise<{ repeats: number; duplicateSends: number; ambiguousAttempts: number }> {
  const { rows: effects } = await runSql<EffectFacts>(
    orm.em.fork(),
    `SELECT e.message_id, e.attempt, e.resumes,
            (SELECT count(*) FROM effect_attempts a WHERE a.effect_id = e.id AND a.outcome = 'ambiguous')::int AS ambiguous_rows,
            (SELECT count(*) FROM message_events v WHERE v.stream_id = e.message_id AND v.type = 'MessageHeld')::int AS held_events,
            EXISTS (SELECT 1 FROM message_events h JOIN message_events p ON p.stream_id = h.stream_id
                     WHERE h.stream_id = e.message_id AND h.type = 'MessageHeld'
                       AND p.type = 'ProviderAccepted' AND p.version > h.version) AS accepted_after_held
       FROM effects e WHERE e.message_id = ANY($1::text[])`,
    [rows.map((row) => row.id)],
  );
  const byMessage = new Map(effects.map((effect) => [effect.message_id, effect]));
  let repeats = 0;
  let duplicateSends = 0;
  let ambiguousAttempts = 0;
  for (const row of rows) {
    const calls = log.get(row.id) ?? { calls: 0, sends: 0, afterTaken: 0 };
    const effect = byMessage.get(row.id);
    const attempt = Number(effect?.attempt ?? 0);
    const resumes = Number(effect?.resumes ?? 0);
    const ambiguousRows = Number(effect?.ambiguous_rows ?? 0);
    const heldEvents = Number(effect?.held_events ?? 0);
    const ambiguous = policy === 'hold' ? heldEvents : resumes + ambiguousRows;
    const facts = `status ${row.status}, ${calls.calls} calls, ${calls.sends} sends, attempt ${attempt}, resumes ${resumes}, ${ambiguousRows} ambiguous attempt rows, ${heldEvents} MessageHeld`;
    repeats += Math.max(0, calls.calls - 1);
    ambiguousAttempts += ambiguous;
    if (calls.sends > 1) {
      duplicateSends += calls.sends - 1;
      violations.push(`the provider sent ${row.id} ${calls.sends} times (${facts})`);
    }
    const allowedCalls = policy === 'hold' ? attempt : attempt + resumes;
    if (calls.calls > allowedCalls)
      violations.push(
        `the provider was called ${calls.calls} times for ${row.id}, more than the ${allowedCalls} calls the dispatcher recorded as started (${facts})`,
      );
    if (policy === 'hold') {
      if (calls.calls > 0 && !settled(row))
        violations.push(`the provider was called for ${row.id}, yet it is neither sent nor held (${facts})`);
      if ((resumes > 0 || ambiguousRows > 0) && heldEvents === 0)
        violations.push(`message ${row.id} had an ambiguous attempt that was not held (${facts})`);
      if (row.status === 'sent' && heldEvents > 0 && !effect?.accepted_after_held)
        violations.push(`message ${row.id} was held, then sent without an accepted late answer (${facts})`);
    } else if (calls.afterTaken > ambiguous) {
      violations.push(
        `the provider was called ${calls.afterTaken} times for ${row.id} after it had taken it, with ${ambiguous} ambiguous attempts recorded (${facts})`,
      );
    }
  }
  return { repeats, duplicateSends, ambiguousAttempts };
}

/**
 * Reads the commands and events topics with a consumer of the checker's own and checks them
 * against the client's history: every acknowledged command reached the commands topic, and each
 * message's events are on the events topic in version order without gaps.
 */
async function checkTopics(
  input: CheckInput,
  acknowledgedIds: string[],
  violations: string[],
): Promise<{ topicLosses: number; outOfOrder: number; keysWithSeveralCommands: number }> {
  const events = input.topics.events;
  if (events === undefined) return { topicLosses: 0, outOfOrder: 0, keysWithSeveralCommands: 0 };
  const evidence = await readTopicEvidence(
    input.kafkaBrokers,
    { commands: input.topics.commands, events },
    input.accountId,
  );
  const missing = commandsMissingFromTopic(acknowledgedIds, evidence.commands);
  for (const id of missing.slice(0, 20))
    violations.push(`acknowledged message ${id} never reached the commands topic`);
  const order = checkEventOrder(evidence.eventVersions);
  violations.push(...order.violations.slice(0, 20));
  const commandOrder = checkCommandOrder(evidence.commandOrder, input.history.commitWindows());
  violations.push(...commandOrder.violations.slice(0, 20));
  return {
    topicLosses: missing.length,
    outOfOrder: order.violations.length + commandOrder.violations.length,
    keysWithSeveralCommands: commandOrder.keysWithSeveral,
  };
}

/** Where each unsettled message is stuck: its outbox row, the inbox, its effect. */
async function locateUnsettled(orm: Orm, rows: MessageRow[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (rows.length === 0) return found;
  const ids = rows.map((row) => row.id);
  const { rows: facts } = await runSql<{
    id: string;
    outbox: string | null;
    inbox: string | null;
    effect: string | null;
  }>(
    orm.em.fork(),
    `SELECT m.id,
            (SELECT string_agg('outbox row ' || o.id || ' shard ' || o.shard ||
                               CASE WHEN o.published_at IS NULL THEN ' unpublished' ELSE ' published' END ||
                               coalesce(' (claimed by ' || (SELECT c.relay_id FROM outbox_claims c
                                 WHERE o.id = ANY(c.ids) LIMIT 1) || ')', ''), ', ')
               FROM outbox o WHERE o.payload -> 'data' ->> 'messageId' = m.id) AS outbox,
            (SELECT 'inbox partition ' || i.partition || ' offset ' || i."offset" FROM inbox i WHERE i.message_id = m.id) AS inbox,
            (SELECT 'effect ' || e.state || ' attempt ' || e.attempt FROM effects e WHERE e.message_id = m.id) AS effect
       FROM messages m WHERE m.id = ANY($1::text[])`,
    [ids],
  ).catch((error: unknown) => ({
    rows: ids.map((id) => ({ id, outbox: `cannot tell: ${error}`, inbox: null, effect: null })),
  }));
  for (const fact of facts)
    found.set(
      fact.id,
      [
        fact.outbox ?? 'no outbox row (published)',
        fact.inbox ?? 'not in the inbox',
        fact.effect ?? 'no effect',
      ].join('; '),
    );
  return found;
}

/** Each stream is versions 1..n with one acceptance, one dispatch and one recorded send; returns the extra runs. */
async function checkStreams(orm: Orm, rows: MessageRow[], violations: string[]): Promise<number> {
  const ids = rows.map((row) => row.id);
  const { rows: events } = await runSql<{ stream_id: string; version: number; type: string }>(
    orm.em.fork(),
    'SELECT stream_id, version, type FROM message_events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, version',
    [ids],
  );
  const { rows: accepted } = await runSql<{ message_id: string; n: string }>(
    orm.em.fork(),
    `SELECT e.message_id, count(*) AS n FROM effect_attempts a JOIN effects e ON e.id = a.effect_id
      WHERE e.message_id = ANY($1::text[]) AND a.outcome = 'accepted' GROUP BY e.message_id`,
    [ids],
  );
  const streams = new Map<string, { version: number; type: string }[]>();
  for (const event of events) streams.set(event.stream_id, [...(streams.get(event.stream_id) ?? []), event]);
  let extra = 0;
  for (const row of rows) {
    const stream = streams.get(row.id) ?? [];
    const gap = stream.findIndex((event, index) => Number(event.version) !== index + 1);
    if (gap >= 0)
      violations.push(`message ${row.id}: its stream skips from version ${gap} to ${stream[gap]?.version}`);
    const count = (type: string) => stream.filter((event) => event.type === type).length;
    if (count('MessageAccepted') !== 1 || stream[0]?.type !== 'MessageAccepted')
      violations.push(`message ${row.id}: its stream does not start with exactly one MessageAccepted`);
    for (const type of ['DispatchRequested', 'ProviderAccepted']) {
      if (count(type) > 1) {
        extra += count(type) - 1;
        violations.push(`message ${row.id}: ${count(type)} ${type} events`);
      }
    }
  }
  for (const { message_id, n } of accepted) {
    if (Number(n) > 1) {
      extra += Number(n) - 1;
      violations.push(`message ${message_id}: ${n} provider attempts recorded as accepted`);
    }
  }
  return extra;
}

/** Compares the dead-letter topic with the dispatcher's table and the scenario's expectations; returns the count. */
async function checkDeadLetters(orm: Orm, input: CheckInput, violations: string[]): Promise<number> {
  const { rows: stored } = await runSql<{ code: string; source: string }>(
    orm.em.fork(),
    `SELECT code, source_partition || '/' || source_offset AS source FROM dead_letters WHERE source_topic = $1`,
    [input.topics.commands],
  );
  if (input.readDeadLetterTopic ?? true) {
    const onTopic = await readDeadLetterTopic(input.kafkaBrokers, input.topics.deadLetters);
    for (const [index, record] of onTopic.entries()) {
      if (!record.reason || !record.code)
        violations.push(`dead letter #${index} has no reason or code header`);
    }
    const topicSources = new Set(onTopic.map((record) => record.source));
    const missing = stored.filter((row) => !topicSources.has(row.source));
    if (missing.length > 0)
      violations.push(
        `${missing.length} dead letters recorded by the dispatcher never reached the dead-letter topic`,
      );
    const storedSources = new Set(stored.map((row) => row.source));
    const unknown = onTopic.filter((record) => !storedSources.has(record.source));
    if (unknown.length > 0)
      violations.push(`${unknown.length} records on the dead-letter topic have no row in dead_letters`);
  }

  const byCode = new Map<string, number>();
  for (const row of stored) byCode.set(row.code, (byCode.get(row.code) ?? 0) + 1);
  const expected = input.expectedDeadLetters ?? {};
  for (const [code, count] of byCode) {
    if (!(code in expected)) violations.push(`${count} unexpected dead letters with code ${code}`);
    else if (expected[code] !== count)
      violations.push(`${count} dead letters with code ${code}, expected ${expected[code]}`);
  }
  for (const [code, count] of Object.entries(expected)) {
    if (count > 0 && !byCode.has(code))
      violations.push(`no dead letter with code ${code}, expected ${count}`);
  }
  return stored.length;
}
