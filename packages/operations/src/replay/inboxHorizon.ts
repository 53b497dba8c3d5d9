/** How long the dispatcher's inbox remembers a command, as the dispatcher is configured. */
export interface InboxRetention {
  /** `INBOX_RETENTION` in ms; Infinity for `forever`. */
  retentionMs: number;
  /** `RELAY_MAX_LAG` in ms: how much later than its first publication a command can be published again. */
  relayMaxLagMs: number;
  /**
   * `REPLAY_MAX_AGE` in ms: the oldest record a replay may start from, when set; the maintenance
   * service refuses to start unless the inbox outlives it by RELAY_MAX_LAG.
   */
  replayMaxAgeMs?: number;
}

/** Which setting bounds the horizon: the inbox's own memory, or the longest replay allowed. */
export function horizonSetBy({
  retentionMs,
  relayMaxLagMs,
  replayMaxAgeMs,
}: InboxRetention): 'INBOX_RETENTION' | 'REPLAY_MAX_AGE' {
  return replayMaxAgeMs !== undefined && !(retentionMs - relayMaxLagMs <= replayMaxAgeMs)
    ? 'REPLAY_MAX_AGE'
    : 'INBOX_RETENTION';
}

/**
 * The oldest record time a replay may start from without re-running a command: records written
 * before it may belong to commands whose inbox rows were already deleted. A record written at t
 * may repeat a command first received up to RELAY_MAX_LAG before t, and that command's inbox row
 * lives INBOX_RETENTION from its receipt, so a record is safe while t - RELAY_MAX_LAG is inside the
 * retention: t >= now - (INBOX_RETENTION - RELAY_MAX_LAG). This holds with the inbox dropped by
 * whole days: the maintenance service keeps a day while any of its rows was received within
 * INBOX_RETENTION. REPLAY_MAX_AGE, when set and shorter, moves the horizon closer. Undefined when
 * nothing bounds it (an inbox kept forever, no REPLAY_MAX_AGE).
 */
export function inboxHorizon(now: Date, retention: InboxRetention): Date | undefined {
  const { retentionMs, relayMaxLagMs, replayMaxAgeMs } = retention;
  const span = Math.min(Math.max(0, retentionMs - relayMaxLagMs), replayMaxAgeMs ?? Number.POSITIVE_INFINITY);
  if (!Number.isFinite(span)) return undefined;
  return new Date(now.getTime() - span);
}
