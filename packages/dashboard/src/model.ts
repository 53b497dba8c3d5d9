// What the console's dashboard routes answer (`services/console/src/dashboard`), shared by
// the server, which builds it, and this page, which shows it. Times are ISO 8601 strings.

/** The throughput series, each a count per time bucket. */
export const throughputSeries = ['accepted', 'replayed', 'sent', 'failed', 'deadLettered'] as const;
export type ThroughputSeries = (typeof throughputSeries)[number];

/** Duplicates dropped, each a count per time bucket. */
export const duplicateSeries = [
  'idempotencyReplays',
  'inboxDuplicates',
  'batchDuplicates',
  'relayRepublished',
] as const;
export type DuplicateSeries = (typeof duplicateSeries)[number];

export interface BucketSeries<K extends string> {
  /** Start of each bucket, epoch milliseconds (the database's clock). */
  t: number[];
  /** Count per bucket, per series; null where the figure was not known (its source did not answer). */
  counts: Record<K, (number | null)[]>;
  /** Sum over the window. */
  totals: Record<K, number>;
}

/** A figure read at each sample. */
export interface GaugeSeries {
  t: number[];
  lag: (number | null)[];
  outboxBacklog: (number | null)[];
  outboxOldestAgeSeconds: (number | null)[];
}

export interface PartitionLagView {
  partition: number;
  memberId: string | null;
  /** The offset stored in PostgreSQL with the processed work (the dispatcher's truth). */
  stored: number | null;
  /** Kafka's committed offset for the group. */
  committed: number | null;
  /** The partition's high watermark; null without Kafka. */
  high: number | null;
  /** Records still to process; null without Kafka. */
  lag: number | null;
}

export interface ConsumerLagView {
  group: string;
  topic: string;
  /** `kafka`: high watermarks from Kafka's admin API; `database`: stored offsets only (no KAFKA_BROKERS). */
  source: 'kafka' | 'database';
  state: string | null;
  members: number | null;
  partitions: PartitionLagView[];
  total: number | null;
}

export interface OutboxView {
  rows: number;
  oldestCreatedAt: string | null;
  oldestAgeMs: number;
  topics: { topic: string; rows: number; oldestAgeMs: number }[];
  setAside: number;
  relays: { live: number; leasedShards: number; shards: number; batchesInFlight: number };
}

export interface DeadLetterView {
  id: number;
  code: string;
  reason: string;
  messageId: string | null;
  source: { topic: string; partition: number; offset: number };
  key: string | null;
  createdAt: string;
  redrivenAt: string | null;
  /** Why a redrive cannot help, when it cannot (the button is then off). */
  notRedrivable: string | null;
}

export interface DeadLettersView {
  total: number;
  /** Not redriven yet. */
  pending: number;
  /** Counting stopped at the cap: the figures are lower bounds. */
  capped?: boolean;
  latest: DeadLetterView[];
}

export interface HeldMessageView {
  messageId: string;
  accountId: string;
  channel: string;
  provider: string;
  attempt: number;
  /** Why it is held: the ambiguous attempt's error. */
  reason: string;
  heldAt: string;
}

/** Messages whose provider call may have gone out with no answer: held for an operator. */
export interface HeldView {
  count: number;
  /** Longest held first. */
  latest: HeldMessageView[];
}

export interface ScheduledSendView {
  messageId: string;
  accountId: string;
  channel: string;
  recipient: string;
  state: 'pending' | 'released' | 'cancelled';
  dueAt: string;
  updatedAt: string;
}

/** Sends asked for later: counts by state, the next due, pending (soonest first) and cancelled ones. */
export interface ScheduledView {
  counts: { pending: number; released: number; cancelled: number };
  nextDueAt: string | null;
  latest: ScheduledSendView[];
}

export interface SourceStatus {
  /** What was read: `database`, `kafka`, `this process` (its own metrics) or a scraped URL. */
  source: string;
  ok: boolean;
  error?: string;
  lastSuccessAt?: string;
}

/** Everything the main view shows, sent at every sample (server-sent events). */
export interface DashboardSnapshot {
  /** The database's clock when sampled. */
  at: string;
  bucketMs: number;
  windowMs: number;
  throughput: BucketSeries<ThroughputSeries>;
  duplicates: BucketSeries<DuplicateSeries>;
  /**
   * From when the counters that only the services hold (replays, duplicates dropped) are
   * counted: the later of the window's start and the moment this dashboard began sampling; they
   * are not known before it. Null until the first two samples.
   */
  countedSince: string | null;
  gauges: GaugeSeries;
  /** Null when it could not be read (see `sources`). */
  lag: ConsumerLagView | null;
  outbox: OutboxView | null;
  deadLetters: DeadLettersView | null;
  held: HeldView | null;
  sources: SourceStatus[];
  /** Null when it could not be read; absent from a console that predates scheduled sends. */
  scheduled?: ScheduledView | null;
}

export interface MessageMatch {
  id: string;
  accountId: string;
  messageKey: string;
  status: string;
  channel: string;
  createdAt: string;
}

export interface SearchResult {
  query: string;
  /** How the query was read. */
  kind: 'message_id' | 'account_key' | 'key';
  matches: MessageMatch[];
}

export interface TimelineEvent {
  version: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface ProviderAttempt {
  attempt: number;
  provider: string;
  outcome: string;
  replayed: boolean;
  providerMessageId: string | null;
  error: string | null;
  resumes: number;
  startedAt: string;
  finishedAt: string;
}

export interface MessageDetail {
  id: string;
  accountId: string;
  messageKey: string;
  batchId: string | null;
  channel: string;
  to: string;
  from: string;
  status: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  events: TimelineEvent[];
  effect: {
    id: string;
    provider: string;
    state: string;
    attempt: number;
    maxAttempts: number;
    resumes: number;
    dueAt: string;
    lastError: string | null;
    finishedAt: string | null;
  } | null;
  attempts: ProviderAttempt[];
  inbox: { topic: string; partition: number; offset: number; receivedAt: string } | null;
  deadLetters: { id: number; code: string; reason: string; createdAt: string }[];
}

export type RedriveResult =
  | { id: number; outcome: 'redriven'; topic: string }
  | { id: number; outcome: 'already_redriven'; topic: string }
  | { id: number; outcome: 'not_redrivable'; reason: string }
  | { id: number; outcome: 'not_found' };
