export interface NaturalBatcherOptions<Item, Result> {
  /** Handles a batch; returns one result per item, in order. A throw fails every item of the batch. */
  run: (items: Item[]) => Promise<Result[]>;
  maxBatchSize: number;
  /** Batches handled at once; items that arrive meanwhile wait and form the next batch. */
  maxConcurrent: number;
  /**
   * How long a batch smaller than `maxBatchSize` may wait for more items before it starts, from
   * its first item's arrival (default 0: at once). At a modest rate every item would otherwise go
   * alone and pay a whole batch's fixed cost. Only while items come often enough to be worth the
   * wait (their mean gap at most twice the linger): at a quiet time an item goes at once.
   */
  lingerMs?: number;
}

interface Pending<Item, Result> {
  item: Item;
  /** performance.now() when it was submitted. */
  at: number;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/** The weight of the newest gap in the mean gap between submissions. */
const gapWeight = 0.1;

/**
 * Group commit: an item arriving while fewer than `maxConcurrent` batches run starts a batch at
 * once (no added latency when idle); items arriving while all run queue up and leave together as
 * the next batch. Under load batches grow by themselves, when idle they are 1. With `lingerMs`, a
 * steady modest stream (too slow to queue behind a running batch) is gathered too.
 */
export class NaturalBatcher<Item, Result> {
  private readonly queue: Pending<Item, Result>[] = [];
  private running = 0;
  /** Batches finished whose items are not answered yet (they are, on the next turn). */
  private answering = 0;
  private idleWaiters: (() => void)[] = [];
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Exponentially weighted mean of the gaps between submissions (ms); infinite until two came. */
  private meanGapMs = Number.POSITIVE_INFINITY;
  private lastSubmitAt: number | undefined;
  private readonly options: NaturalBatcherOptions<Item, Result>;

  constructor(options: NaturalBatcherOptions<Item, Result>) {
    this.options = options;
  }

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const at = performance.now();
      this.noteArrival(at);
      this.queue.push({ item, at, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once nothing is queued, running or waiting for its answer. */
  async drained(): Promise<void> {
    if (this.running === 0 && this.answering === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.options.maxConcurrent && this.queue.length > 0) {
      if (this.lingering()) return;
      const batch = this.queue.splice(0, this.options.maxBatchSize);
      // A timer set for an item that leaves now: when others are left it pumps early and harmlessly.
      if (this.queue.length === 0 && this.lingerTimer !== undefined) {
        clearTimeout(this.lingerTimer);
        this.lingerTimer = undefined;
      }
      this.running += 1;
      void this.runBatch(batch);
    }
  }

  private noteArrival(at: number): void {
    if (this.lastSubmitAt !== undefined) {
      const gap = at - this.lastSubmitAt;
      this.meanGapMs = Number.isFinite(this.meanGapMs)
        ? this.meanGapMs + (gap - this.meanGapMs) * gapWeight
        : gap;
    }
    this.lastSubmitAt = at;
  }

  /** Whether the next batch waits for more items; if so a timer pumps again when it may start. */
  private lingering(): boolean {
    const lingerMs = this.options.lingerMs ?? 0;
    const first = this.queue[0];
    if (lingerMs <= 0 || first === undefined || this.queue.length >= this.options.maxBatchSize) return false;
    if (this.meanGapMs > 2 * lingerMs) return false;
    const waitMs = first.at + lingerMs - performance.now();
    if (waitMs <= 0) return false;
    if (this.lingerTimer === undefined) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.pump();
      }, waitMs);
    }
    return true;
  }

  /**
   * The next batch starts before this one's items are answered, and they are answered on the next
   * turn of the event loop: a caller's work on its answer (an HTTP reply, say) would otherwise
   * run between the next batch's first steps and hold back its first statement by the whole group's
   * replies.
   */
  private async runBatch(batch: Pending<Item, Result>[]): Promise<void> {
    let answer: () => void;
    try {
      const results = await this.options.run(batch.map((pending) => pending.item));
      answer = () => {
        for (const [index, pending] of batch.entries()) pending.resolve(results[index] as Result);
      };
    } catch (error) {
      answer = () => {
        for (const pending of batch) pending.reject(error);
      };
    }
    this.running -= 1;
    this.answering += 1;
    this.pump();
    setImmediate(() => {
      this.answering -= 1;
      answer();
      if (this.running === 0 && this.answering === 0 && this.queue.length === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
  }
}
