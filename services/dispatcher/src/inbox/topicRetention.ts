import type { TopicRetention } from '@exactly/messaging';

/**
 * Why the inbox would forget commands Kafka can still deliver (undefined when it would not):
 * a record can reach the dispatcher again up to retention + segment roll + the relay's longest
 * lag after its first delivery, so the inbox must keep its row at least that long.
 */
export function inboxRetentionProblem(
  inboxRetentionMs: number,
  relayMaxLagMs: number,
  topic: string,
  { retentionMs, segmentMs }: TopicRetention,
): string | undefined {
  const needed = retentionMs + segmentMs + relayMaxLagMs;
  if (inboxRetentionMs >= needed) return undefined;
  const show = (ms: number) =>
    Number.isFinite(ms) ? `${ms} ms (${(ms / 86_400_000).toFixed(2)} days)` : 'forever';
  return (
    `INBOX_RETENTION is ${show(inboxRetentionMs)}, but a command on ${topic} can arrive again for ` +
    `${show(needed)} (retention.ms ${show(retentionMs)} + segment.ms ${show(segmentMs)} + RELAY_MAX_LAG ` +
    `${show(relayMaxLagMs)}); a replay could then run a command twice. Raise INBOX_RETENTION ` +
    `(or 'forever') or lower the topic's retention.`
  );
}
