export interface NaturalBatcherOptions<Item, Result> {
  /** Handles a batch; returns one result per item, in order. A throw fails every item of the batch. */
  run: (items: Item[]) => Promise<Result[]>;
  maxBatchSize: number;
  /** Batches handled at once; items that arrive meanwhile wait and form the next batch. */
  maxConcurrent: number;
}

interface Pending<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit without a timer: an item arriving while fewer than `maxConcurrent` batches run
 * starts a batch at once (no added latency when idle); items arriving while all run queue up and
 * leave together as the next batch. Under load batches grow by themselves, when idle they are 1.
 */
export class NaturalBatcher<Item, Result> {
  private readonly queue: Pending<Item, Result>[] = [];
  private running = 0;
  /** Batches finished whose items are not answered yet (they are, on the next turn). */
  private answering = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly options: NaturalBatcherOptions<Item, Result>;

  constructor(options: NaturalBatcherOptions<Item, Result>) {
    this.options = options;
  }

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
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
      const batch = this.queue.splice(0, this.options.maxBatchSize);
      this.running += 1;
      void this.runBatch(batch);
    }
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
