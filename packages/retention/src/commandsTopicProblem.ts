import { errorMessage } from '@exactly/errors';
/** How long the commands topic can keep a record, as the broker has it now. */
export interface CommandsTopicRetention {
  /** retention.ms; Infinity for a compacted topic or -1. */
  retentionMs: number;
  /** segment.ms: a record can outlive retention.ms by up to this much. */
  segmentMs: number;
}

/**
 * Why dropping inbox days now could make a command run twice (undefined when it could not): the
 * live topic can redeliver a command for retention.ms + segment.ms + RELAY_MAX_LAG after its
 * receipt, so INBOX_RETENTION must be at least that. A topic that cannot be read counts as a
 * problem: nothing is dropped on a guess.
 */
export async function commandsTopicProblem(
  readCommandsTopic: (() => Promise<CommandsTopicRetention>) | undefined,
  { inboxRetentionMs, relayMaxLagMs }: { inboxRetentionMs: number; relayMaxLagMs: number },
): Promise<string | undefined> {
  if (readCommandsTopic === undefined) return 'the live commands topic is not read here (no Kafka given)';
  let topic: CommandsTopicRetention;
  try {
    topic = await readCommandsTopic();
  } catch (error) {
    return `cannot read the commands topic's retention: ${errorMessage(error)}`;
  }
  const needed = topic.retentionMs + topic.segmentMs + relayMaxLagMs;
  if (inboxRetentionMs >= needed) return undefined;
  const show = (ms: number) =>
    Number.isFinite(ms) ? `${ms} ms (${(ms / 86_400_000).toFixed(2)} days)` : 'forever';
  return (
    `INBOX_RETENTION ${show(inboxRetentionMs)} < the commands topic's retention.ms ${show(topic.retentionMs)} + ` +
    `segment.ms ${show(topic.segmentMs)} + RELAY_MAX_LAG ${show(relayMaxLagMs)} = ${show(needed)}: ` +
    'the topic can redeliver a command the inbox would have forgotten, and it would run twice'
  );
}
