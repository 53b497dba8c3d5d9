import { ExactlyError } from '@exactly/errors';

/** Every retention window, in ms (Infinity: kept forever), as the services are configured. */
export interface RetentionWindows {
  /** MESSAGE_RETENTION: messages, their events, effects, attempts and the log provider's sends. */
  messageRetentionMs: number;
  /** DEAD_LETTER_RETENTION (with each dead letter's redrives). */
  deadLetterRetentionMs: number;
  /** INBOX_RETENTION. */
  inboxRetentionMs: number;
  /** WEBHOOK_DELIVERY_RETENTION: the webhook consumer's inbox (one delivery per endpoint and event). */
  webhookDeliveryRetentionMs?: number;
  /** RELAY_MAX_LAG: how much later than its first publication a command can be published again. */
  relayMaxLagMs: number;
  /** The idempotency key's lifetime (IDEMPOTENCY_RETENTION or the profile's). */
  idempotencyKeyTtlMs: number;
  /** How long an idempotency record is kept (deleted at its `expires_at`: the key's TTL here). */
  idempotencyRecordRetentionMs: number;
  /** The commands topic, when it could be read: a record can be redelivered for retention + segment. */
  commandsTopic?: { retentionMs: number; segmentMs: number };
  /** The longest an operator's replay may reach back. */
  longestReplayMs?: number;
  /**
   * Anything else that refers to a message for up to this long after the message is made (the
   * scheduled sends' horizon): each must end before messages expire.
   */
  messageReferences?: readonly { setting: string; ms: number }[];
}

export interface RetentionWindowProblem {
  rule: string;
  message: string;
}

const show = (ms: number) =>
  Number.isFinite(ms) ? `${ms} ms (${(ms / 86_400_000).toFixed(2)} days)` : 'forever';

/** Each pair of windows that does not fit, with why (empty when they all do). */
export function retentionWindowProblems(windows: RetentionWindows): RetentionWindowProblem[] {
  const problems: RetentionWindowProblem[] = [];
  const atLeast = (rule: string, have: number, need: number, why: string) => {
    if (!(have >= need)) problems.push({ rule, message: `${rule}: ${show(have)} < ${show(need)}: ${why}` });
  };
  const { inboxRetentionMs, relayMaxLagMs, messageRetentionMs } = windows;
  if (windows.commandsTopic !== undefined) {
    const { retentionMs, segmentMs } = windows.commandsTopic;
    atLeast(
      'INBOX_RETENTION >= topic retention.ms + segment.ms + RELAY_MAX_LAG',
      inboxRetentionMs,
      retentionMs + segmentMs + relayMaxLagMs,
      'the topic can redeliver a command the inbox has forgotten, and it would run twice',
    );
    if (windows.webhookDeliveryRetentionMs !== undefined)
      atLeast(
        'WEBHOOK_DELIVERY_RETENTION >= topic retention.ms + segment.ms + RELAY_MAX_LAG',
        windows.webhookDeliveryRetentionMs,
        retentionMs + segmentMs + relayMaxLagMs,
        'the events topic (kept like the commands topic) can redeliver an event whose delivery row is gone, and the endpoint would get it twice',
      );
    atLeast(
      'MESSAGE_RETENTION >= topic retention.ms + segment.ms + RELAY_MAX_LAG',
      messageRetentionMs,
      retentionMs + segmentMs + relayMaxLagMs,
      'a command still in the topic is processed against its message and events',
    );
  }
  if (windows.longestReplayMs !== undefined) {
    atLeast(
      'INBOX_RETENTION >= longest replay + RELAY_MAX_LAG',
      inboxRetentionMs,
      windows.longestReplayMs + relayMaxLagMs,
      'a replay allowed that far back would re-run commands the inbox has forgotten',
    );
  }
  atLeast(
    'idempotency record retention >= idempotency key TTL',
    windows.idempotencyRecordRetentionMs,
    windows.idempotencyKeyTtlMs,
    'a client retry inside the key TTL would find no record and send again',
  );
  atLeast(
    'MESSAGE_RETENTION >= idempotency key TTL',
    messageRetentionMs,
    windows.idempotencyKeyTtlMs,
    'a replayed reply would name messages that no longer exist',
  );
  atLeast(
    'MESSAGE_RETENTION >= DEAD_LETTER_RETENTION',
    messageRetentionMs,
    windows.deadLetterRetentionMs,
    'a dead letter can be redriven while it is kept, and its command needs its message and events',
  );
  for (const reference of windows.messageReferences ?? []) {
    atLeast(
      `MESSAGE_RETENTION >= ${reference.setting}`,
      messageRetentionMs,
      reference.ms,
      `${reference.setting} refers to messages for that long after they are made`,
    );
  }
  return problems;
}

/** Throws `config_invalid` naming every window that does not fit the others. */
export function assertRetentionWindows(windows: RetentionWindows): void {
  const problems = retentionWindowProblems(windows);
  if (problems.length === 0) return;
  throw new ExactlyError(
    'config_invalid',
    `unsafe retention windows: ${problems.map((problem) => problem.message).join('; ')}`,
    { details: { problems } },
  );
}
