/**
 * What the client saw of one attempt, in the manner of Jepsen's histories: `ok` (a 2xx),
 * `failed` (a definite refusal: the command did not run, such as a 4xx or load shed with
 * `overloaded`), or `indeterminate` (a timeout, a reset, another 5xx: it may or may not have
 * run, so it is retried with the same key).
 */
export type AttemptOutcome = 'ok' | 'failed' | 'indeterminate';

export interface Attempt {
  key: string;
  attempt: number;
  outcome: AttemptOutcome;
  /** The HTTP status, when there was an answer. */
  status?: number;
  code?: string;
  messageId?: string;
  replayed?: boolean;
  /** When the SDK call this attempt belongs to began (its first attempt's start). */
  calledAt?: number;
  at: number;
}

/** Every client attempt of a scenario, in the order they ended. */
export class History {
  readonly attempts: Attempt[] = [];

  record(attempt: Omit<Attempt, 'at'>): void {
    this.attempts.push({ ...attempt, at: Date.now() });
  }

  /** Keys that got a 2xx at any attempt, with the message ids the answers named. */
  acknowledged(): Map<string, Set<string>> {
    const acked = new Map<string, Set<string>>();
    for (const attempt of this.attempts) {
      if (attempt.outcome !== 'ok' || attempt.messageId === undefined) continue;
      const ids = acked.get(attempt.key) ?? new Set<string>();
      ids.add(attempt.messageId);
      acked.set(attempt.key, ids);
    }
    return acked;
  }

  /**
   * For each acknowledged message, when its first acknowledging call began and when it was
   * answered: the client's own evidence of the order in which commands were committed.
   */
  commitWindows(): Map<string, { calledAt: number; acknowledgedAt: number }> {
    const windows = new Map<string, { calledAt: number; acknowledgedAt: number }>();
    for (const attempt of this.attempts) {
      if (attempt.outcome !== 'ok' || attempt.messageId === undefined || attempt.calledAt === undefined)
        continue;
      if (!windows.has(attempt.messageId))
        windows.set(attempt.messageId, { calledAt: attempt.calledAt, acknowledgedAt: attempt.at });
    }
    return windows;
  }

  count(outcome: AttemptOutcome): number {
    return this.attempts.filter((attempt) => attempt.outcome === outcome).length;
  }

  /** Attempts after the first of each key: the client's retries. */
  retries(): number {
    const keys = new Set(this.attempts.map((attempt) => attempt.key));
    return this.attempts.length - keys.size;
  }

  /** Keys every attempt of which was a definite refusal: the system must have stored nothing for them. */
  refusedOnly(): Set<string> {
    const outcomes = new Map<string, Set<AttemptOutcome>>();
    for (const attempt of this.attempts) {
      const seen = outcomes.get(attempt.key) ?? new Set<AttemptOutcome>();
      seen.add(attempt.outcome);
      outcomes.set(attempt.key, seen);
    }
    return new Set(
      [...outcomes].filter(([, seen]) => seen.size === 1 && seen.has('failed')).map(([key]) => key),
    );
  }

  /** Distinct keys the client tried. */
  keys(): number {
    return new Set(this.attempts.map((attempt) => attempt.key)).size;
  }

  /** Attempts answered with this HTTP status. */
  countStatus(status: number): number {
    return this.attempts.filter((attempt) => attempt.status === status).length;
  }

  /** One JSON line per attempt, for a scenario's artefacts. */
  toJsonLines(): string {
    return this.attempts.map((attempt) => JSON.stringify(attempt)).join('\n');
  }
}
