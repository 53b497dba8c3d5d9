/** How long the dispatcher's inbox remembers a command, as the dispatcher is configured. */
export interface InboxRetention {
  /** `INBOX_RETENTION` in ms; Infinity for `forever`. */
  retentionMs: number;
  /** `RELAY_MAX_LAG` in ms: how much later than its first publication a command can be published again. */
  relayMaxLagMs: number;
}

/**
 * The oldest record time a replay may start from without re-running a command: records written
 * before it may belong to commands whose inbox rows were already deleted. A record written at t
 * may repeat a command first received up to RELAY_MAX_LAG before t, and that command's inbox row
 * lives INBOX_RETENTION from its receipt, so a record is safe while t - RELAY_MAX_LAG is inside the
 * retention: t >= now - (INBOX_RETENTION - RELAY_MAX_LAG). Undefined when the inbox keeps
 * everything.
 */
export function inboxHorizon(now: Date, { retentionMs, relayMaxLagMs }: InboxRetention): Date | undefined {
  if (!Number.isFinite(retentionMs)) return undefined;
  return new Date(now.getTime() - Math.max(0, retentionMs - relayMaxLagMs));
}
