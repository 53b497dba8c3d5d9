import type { SendMessage } from '@exactly/contracts';
import { createClient, ExactlyApiError, type ExactlyClient, ExactlyNetworkError } from '@exactly/sdk';
import fc from 'fast-check';
import type { IHeaders, Producer } from 'kafkajs';
import type { History } from '../harness/history.ts';
import { commandFor } from '../harness/loadClient.ts';
import type { Member, Pipeline } from '../harness/pipeline.ts';
import { replayFromStart } from '../scenarios/replayWholeTopic.ts';

/** What the client may conclude about each key of a run. */
export interface KeyModel {
  /** The body the key is bound to, once a 2xx named it; before that, the last body sent. */
  body: SendMessage;
  /** `accepted`: a 2xx was seen (with `messageId`); `unknown`: only indeterminate answers so far. */
  state: 'accepted' | 'unknown';
  messageId?: string;
  /** While unknown: every body sent with the key that may have been stored. */
  candidates: SendMessage[];
}

export interface Model {
  keys: Map<string, KeyModel>;
}

/** A record of the commands topic, as the relay published it, kept to write it again. */
export interface CapturedRecord {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

export interface Real {
  pipeline: Pipeline;
  client: ExactlyClient;
  history: History;
  /** Records of the commands topic by message id (a consumer fills it). */
  records: Map<string, CapturedRecord>;
  producer: Producer;
  scheduler: fc.Scheduler;
  /** Restarts in progress: awaited before the run is checked. */
  restarts: Promise<void>[];
  keyPrefix: string;
  injected: (what: string) => void;
}

export const keyCount = 4;
const keyOf = (real: Real, index: number) => `${real.keyPrefix}-k${index}`;
const bodyOf = (index: number, variant: number) => commandFor(index * 10 + variant);

type Answer =
  | { kind: 'ok'; messageId: string; replayed: boolean }
  | { kind: 'refused'; status: number; code: string }
  | { kind: 'indeterminate'; code: string };

/** One attempt, no retries (the model decides what to do next), recorded in the run's history. */
export async function submit(real: Real, key: string, body: SendMessage): Promise<Answer> {
  try {
    const result = await real.client.messages.send(body, { idempotencyKey: key });
    real.history.record({
      key,
      attempt: 1,
      outcome: 'ok',
      status: result.status,
      messageId: result.message.id,
      replayed: result.replayed,
    });
    return { kind: 'ok', messageId: result.message.id, replayed: result.replayed };
  } catch (error) {
    if (error instanceof ExactlyApiError && !error.retryable) {
      real.history.record({ key, attempt: 1, outcome: 'failed', status: error.status, code: error.code });
      return { kind: 'refused', status: error.status, code: error.code };
    }
    const code =
      error instanceof ExactlyApiError
        ? error.code
        : error instanceof ExactlyNetworkError
          ? error.timedOut
            ? 'timeout'
            : 'network'
          : String(error);
    real.history.record({ key, attempt: 1, outcome: 'indeterminate', code });
    return { kind: 'indeterminate', code };
  }
}

const same = (a: SendMessage, b: SendMessage) => JSON.stringify(a) === JSON.stringify(b);

/** Applies one answer to the model, throwing when the system answered what no correct system may. */
function learn(model: Model, key: string, body: SendMessage, answer: Answer): void {
  const known = model.keys.get(key);
  switch (answer.kind) {
    case 'ok': {
      if (known?.state === 'accepted') {
        if (!same(known.body, body))
          throw new Error(`key ${key}: another body was accepted after the first (${answer.messageId})`);
        if (answer.messageId !== known.messageId)
          throw new Error(`key ${key}: answered ${answer.messageId}, first answer was ${known.messageId}`);
        if (!answer.replayed) throw new Error(`key ${key}: a repeat was not marked as a replay`);
        return;
      }
      if (known === undefined && answer.replayed)
        throw new Error(`key ${key}: a first request was answered as a replay`);
      model.keys.set(key, { body, state: 'accepted', messageId: answer.messageId, candidates: [] });
      return;
    }
    case 'refused': {
      if (answer.code !== 'idempotency_key_reused')
        throw new Error(`key ${key}: refused with ${answer.code}`);
      const others = known === undefined ? [] : known.state === 'accepted' ? [known.body] : known.candidates;
      if (!others.some((other) => !same(other, body)))
        throw new Error(`key ${key}: refused as reused, yet no other body was ever sent with it`);
      // Another body holds the key: this one was certainly not stored.
      if (known?.state === 'unknown')
        known.candidates = known.candidates.filter((other) => !same(other, body));
      return;
    }
    case 'indeterminate': {
      if (known === undefined) model.keys.set(key, { body, state: 'unknown', candidates: [body] });
      else if (known.state === 'unknown' && !known.candidates.some((other) => same(other, body)))
        known.candidates.push(body);
      return;
    }
  }
}

abstract class ModelCommand implements fc.AsyncCommand<Model, Real> {
  check(_model: Readonly<Model>): boolean {
    return true;
  }
  abstract run(model: Model, real: Real): Promise<void>;
  abstract toString(): string;
}

/** POST a command with a key (one of few, so keys repeat) and one of two bodies. */
class Submit extends ModelCommand {
  readonly index: number;
  readonly variant: number;
  constructor(index: number, variant: number) {
    super();
    this.index = index;
    this.variant = variant;
  }
  async run(model: Model, real: Real) {
    const key = keyOf(real, this.index);
    const body = bodyOf(this.index, this.variant);
    learn(model, key, body, await submit(real, key, body));
  }
  toString() {
    return `submit(k${this.index}, body ${this.variant})`;
  }
}

/** The client's retry: the same key with the body the model holds for it. */
class Retry extends ModelCommand {
  readonly index: number;
  constructor(index: number) {
    super();
    this.index = index;
  }
  override check(model: Readonly<Model>) {
    return [...model.keys.keys()].some((key) => key.endsWith(`-k${this.index}`));
  }
  async run(model: Model, real: Real) {
    const key = keyOf(real, this.index);
    const body = model.keys.get(key)?.body ?? bodyOf(this.index, 0);
    learn(model, key, body, await submit(real, key, body));
  }
  toString() {
    return `retry(k${this.index})`;
  }
}

/**
 * Several identical requests with one key at once, started in an order the scheduler picks, and
 * optionally a kill -9 of the ingest API scheduled among them (requests it cuts are indeterminate).
 */
class Burst extends ModelCommand {
  readonly index: number;
  readonly copies: number;
  readonly crashIngest: boolean;
  constructor(index: number, copies: number, crashIngest: boolean) {
    super();
    this.index = index;
    this.copies = copies;
    this.crashIngest = crashIngest;
  }
  async run(model: Model, real: Real) {
    const key = keyOf(real, this.index);
    const body = model.keys.get(key)?.body ?? bodyOf(this.index, 0);
    const answers: Promise<Answer>[] = [];
    const started: Promise<unknown>[] = [];
    for (let copy = 0; copy < this.copies; copy++) {
      const go = real.scheduler.schedule(Promise.resolve(copy), `send ${copy}`);
      started.push(go);
      answers.push(go.then(() => submit(real, key, body)));
    }
    let crash: Promise<void> | undefined;
    if (this.crashIngest) {
      const go = real.scheduler.schedule(Promise.resolve(), 'kill -9 ingest');
      started.push(go);
      crash = go.then(async () => {
        real.injected('kill -9 ingest among the burst');
        await real.pipeline.crash(real.pipeline.ingest);
      });
    }
    await real.scheduler.waitIdle();
    await Promise.all(started);
    const settled = await Promise.all(answers);
    await crash;
    // A 409 (the first still in flight) tells nothing. The one that executed is learnt first
    // (the answers came back in any order); every other 2xx must then be its marked replay.
    const executedFirst = [...settled].sort(
      (a, b) => Number(b.kind === 'ok' && !b.replayed) - Number(a.kind === 'ok' && !a.replayed),
    );
    for (const answer of executedFirst) {
      if (answer.kind === 'indeterminate' && answer.code === 'idempotency_key_in_flight') continue;
      learn(model, key, body, answer);
    }
    if (!model.keys.has(key)) model.keys.set(key, { body, state: 'unknown', candidates: [body] });
  }
  toString() {
    return `burst(k${this.index} x${this.copies}${this.crashIngest ? ', kill -9 ingest' : ''})`;
  }
}

/** Writes the command record of an accepted key again, straight into the topic (a redelivery). */
class Redeliver extends ModelCommand {
  readonly index: number;
  constructor(index: number) {
    super();
    this.index = index;
  }
  async run(model: Model, real: Real) {
    const id = model.keys.get(keyOf(real, this.index))?.messageId;
    if (id === undefined) return;
    // The relay may not have published it yet: wait a little for the captured record.
    for (let i = 0; i < 40 && !real.records.has(id); i++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    const record = real.records.get(id);
    if (!record) return;
    real.injected(`redeliver ${id}`);
    await real.producer.send({
      topic: real.pipeline.topics.commands,
      messages: [
        { partition: record.partition, key: record.key, value: record.value, headers: record.headers },
      ],
    });
  }
  toString() {
    return `redeliver(k${this.index})`;
  }
}

/**
 * The slow faults (a relay's shards move after its 4 s lease, a dispatcher's partitions after the
 * group's 6 s session timeout, a replay rejoins the group) draw from one budget per property, so
 * the short run keeps a few of each; no bound in the full run.
 */
export const slowFaults = { budget: Number.POSITIVE_INFINITY };

function spend(): boolean {
  if (slowFaults.budget <= 0) return false;
  slowFaults.budget -= 1;
  return true;
}

/** kill -9 of a relay or a dispatcher; it comes back in the background, the run waits for it at the end. */
class Crash extends ModelCommand {
  readonly kind: 'relay' | 'dispatcher';
  readonly afterMs: number;
  constructor(kind: 'relay' | 'dispatcher', afterMs: number) {
    super();
    this.kind = kind;
    this.afterMs = afterMs;
  }
  async run(_model: Model, real: Real) {
    const member: Member | undefined =
      this.kind === 'relay' ? real.pipeline.relays[0] : real.pipeline.dispatchers[0];
    if (!member?.process.running || !spend()) return;
    await new Promise((resolve) => setTimeout(resolve, this.afterMs));
    real.injected(`kill -9 ${member.process.name}`);
    await member.process.kill();
    real.restarts.push(real.pipeline.startMember(member));
  }
  toString() {
    return `crash(${this.kind} after ${this.afterMs} ms)`;
  }
}

/** A deliberate replay of the whole commands topic (every run's records so far) through the inbox. */
class Replay extends ModelCommand {
  async run(_model: Model, real: Real) {
    if (!spend()) return;
    await Promise.all(real.restarts.splice(0));
    await replayFromStart(real.pipeline, { injected: real.injected });
  }
  toString() {
    return 'replay()';
  }
}

/** The command mix; `heavy` is the weight of each slow fault (relay crash, dispatcher crash, replay). */
export function modelCommands(heavy: number) {
  const index = fc.integer({ min: 0, max: keyCount - 1 });
  const arbitraries = [
    fc
      .record({ index, variant: fc.integer({ min: 0, max: 1 }) })
      .map(({ index, variant }) => new Submit(index, variant)),
    index.map((i) => new Retry(i)),
    // A kill -9 of the ingest API in one burst of four.
    fc
      .record({ index, copies: fc.integer({ min: 2, max: 4 }), crash: fc.integer({ min: 0, max: 3 }) })
      .map(({ index, copies, crash }) => new Burst(index, copies, crash === 0)),
    index.map((i) => new Redeliver(i)),
    fc.integer({ min: 0, max: 200 }).map((ms) => new Crash('relay', ms)),
    fc.integer({ min: 0, max: 200 }).map((ms) => new Crash('dispatcher', ms)),
    fc.constant(new Replay()),
  ];
  // Submissions and retries most, redeliveries and bursts often, the slow faults rarely.
  const weights = [12, 6, 4, 4, heavy, heavy, heavy];
  return [
    fc.oneof(
      ...arbitraries.map((arbitrary, i) => ({
        arbitrary: arbitrary as fc.Arbitrary<fc.AsyncCommand<Model, Real>>,
        weight: weights[i] ?? 1,
      })),
    ),
  ];
}

/**
 * Ends a run so that the model is exact: every service up, and every key whose fate is unknown
 * sent again (same key, same body) until the system answers it definitely.
 */
export async function completeRun(model: Model, real: Real): Promise<void> {
  await Promise.all(real.restarts.splice(0));
  await real.pipeline.restartStopped();
  for (const [key, known] of model.keys) {
    // Each body that may hold the key, in turn, until one is answered with a 2xx.
    for (let attempt = 0; known.state === 'unknown' && attempt < 100; attempt++) {
      const body = known.candidates[attempt % Math.max(1, known.candidates.length)] ?? known.body;
      const answer = await submit(real, key, body);
      if (answer.kind === 'indeterminate') await new Promise((resolve) => setTimeout(resolve, 100));
      else learn(model, key, body, answer);
      if (answer.kind === 'ok') Object.assign(known, model.keys.get(key));
    }
    if (model.keys.get(key)?.state !== 'accepted') throw new Error(`key ${key} never got a definite answer`);
  }
}

export function newClient(baseUrl: string, apiKey: string): ExactlyClient {
  return createClient({ baseUrl, apiKey, timeoutMs: 3_000, maxRetries: 0 });
}
