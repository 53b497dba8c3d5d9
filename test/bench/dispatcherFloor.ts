// The database's floor under the dispatcher's consumer stage: the rows its inbox transaction
// must write for each new command (inbox row, DispatchRequested event, projection update, effect
// row, the event's outbox row, the partition's offset), written as bare SQL — one statement per
// batch of 1,000 commands, four connections at once, nothing read from Kafka, nothing decoded or
// validated, no round trip inside the transaction. No implementation that keeps the dispatcher
// issue's guarantees in PostgreSQL can process commands faster than this on the same machine;
// "inbox rows only" is the dedup step alone, the least any inbox-based consumer must write.
// "sent exactly once" adds, per batch and in a transaction of its own as the dispatcher commits
// it, the outcome's rows with the log provider: the effect settled, the send row,
// ProviderAccepted, its outbox row and the projection. It is the floor of what the dispatcher
// does per command; the target is set against the inbox transaction alone, so this says how far
// bare SQL itself gets from that baseline.

import { randomBytes } from 'node:crypto';
import { type Orm, runSql } from '@exactly/persistence';
import type { BenchCommand } from './dispatcherSeed.ts';
import { type CpuPerUnit, cpuMeter } from './lib/processes.ts';

const batchSize = 1_000;
const connections = 4;

export type FloorVariant = 'inbox transaction' | 'inbox rows only' | 'sent exactly once';

/** The CTE writing the outbox row of event `type` (at `version`) for each message of CTE `source`. */
const eventOutboxRows = (type: string, version: number, source: string) => `outbox_rows AS (
           INSERT INTO outbox (topic, kafka_key, payload, headers)
           SELECT 'floor.events', message_id,
                  jsonb_build_object('type', '${type}', 'streamId', message_id, 'version', ${version}),
                  '{}'
             FROM ${source})`;

const inboxTransaction = `
    WITH fresh AS (
           INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset")
           SELECT id, fingerprint, $4, $5, "offset" FROM unnest($1::text[], $2::bytea[], $3::bigint[])
             AS v(id, fingerprint, "offset")
           ON CONFLICT (message_id) DO NOTHING
           RETURNING message_id),
         events AS (
           INSERT INTO message_events (stream_id, version, type, data)
           SELECT message_id, 2, 'DispatchRequested',
                  jsonb_build_object('provider', 'log', 'effectId', 'eff_' || message_id)
             FROM fresh),
         projection AS (
           UPDATE messages m SET status = 'dispatching', version = 2, updated_at = now()
             FROM fresh WHERE m.id = fresh.message_id),
         effects AS (
           INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts)
           SELECT 'eff_' || v.id, v.id, $6, 'email', 'log', v.id, v.request, 5
             FROM unnest($1::text[], $7::jsonb[]) AS v(id, request)
             JOIN fresh ON fresh.message_id = v.id),
         ${eventOutboxRows('DispatchRequested', 2, 'fresh')}
    INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)
    VALUES ('floor', $4, $5, (SELECT max(o) + 1 FROM unnest($3::bigint[]) AS o))
    ON CONFLICT (group_id, topic, partition)
    DO UPDATE SET next_offset = excluded.next_offset, updated_at = now()`;

// The log provider's outcome for the batch's effects ($1 their ids, $2 their messages'), claimed
// at creation: one update of each effect, no claim statement. Rows are found by key arrays, not
// joins, so that no plan scans the tables as they grow.
const outcomeTransaction = `
    WITH settled AS (
           UPDATE effects e SET state = 'succeeded', claim_token = NULL, finished_at = now()
            WHERE e.id = ANY($1::text[])
           RETURNING e.id, e.message_id, e.account_id, e.provider_key),
         sends AS (
           INSERT INTO log_provider_sends (provider_key, message_id, account_id, channel, recipient, attempt)
           SELECT provider_key, message_id, account_id, 'email', 'floor@example.com', 1 FROM settled
           ON CONFLICT (provider_key, account_id) DO NOTHING),
         events AS (
           INSERT INTO message_events (stream_id, version, type, data)
           SELECT message_id, 3, 'ProviderAccepted',
                  jsonb_build_object('effectId', id, 'providerMessageId', provider_key)
             FROM settled),
         ${eventOutboxRows('ProviderAccepted', 3, 'settled')}
    UPDATE messages m SET status = 'sent', version = 3, updated_at = now()
     WHERE m.id = ANY($2::text[])`;

const statements: Record<FloorVariant, readonly string[]> = {
  'inbox transaction': [inboxTransaction],
  'sent exactly once': [inboxTransaction, outcomeTransaction],
  'inbox rows only': [
    `
    INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset")
    SELECT id, fingerprint, $4, $5, "offset" FROM unnest($1::text[], $2::bytea[], $3::bigint[])
      AS v(id, fingerprint, "offset")
    ON CONFLICT (message_id) DO NOTHING`,
  ],
};

/**
 * Commands per second for one variant over `commands` (seeded messages no one processed yet), and
 * every program's CPU ms per command while the statements ran (the batches are built before).
 */
export async function floorRate(
  orm: Orm,
  accountId: string,
  commands: readonly BenchCommand[],
  variant: FloorVariant,
): Promise<{ perSecond: number; cpu: CpuPerUnit }> {
  // Per batch, the parameters of each of the variant's statements, built before the clock starts.
  const batches: unknown[][][] = [];
  for (let start = 0; start < commands.length; start += batchSize) {
    const chunk = commands.slice(start, start + batchSize);
    const messageIds = chunk.map((command) => command.messageId);
    const inbox: unknown[] = [
      messageIds,
      chunk.map(() => randomBytes(32)),
      chunk.map((_, index) => start + index),
      'floor.commands',
      batches.length % 12,
    ];
    if (variant !== 'inbox rows only') {
      inbox.push(
        accountId,
        chunk.map((command) =>
          JSON.stringify((JSON.parse(command.record.value) as { data: { message: unknown } }).data.message),
        ),
      );
    }
    const effectIds = variant === 'sent exactly once' ? messageIds.map((id) => `eff_${id}`) : undefined;
    batches.push(effectIds === undefined ? [inbox] : [inbox, [effectIds, messageIds]]);
  }
  let next = 0;
  const meter = cpuMeter();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (let batch = batches[next++]; batch !== undefined; batch = batches[next++]) {
        // Each statement commits on its own, as the dispatcher's two transactions do.
        for (const [index, statement] of statements[variant].entries()) {
          await runSql(orm.em.fork(), statement, batch[index]);
        }
      }
    }),
  );
  const perSecond = (commands.length / (performance.now() - started)) * 1_000;
  meter.stop();
  return { perSecond, cpu: meter.msPer(commands.length) };
}
