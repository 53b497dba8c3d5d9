import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../harness/runScenario.ts';
import { ensureTools, libfaketime } from '../injectors/systemTools.ts';

interface Resources {
  dir: string;
}

/** Members whose wall clock jumps, each with the offsets it goes through (and those in seconds). */
const jumps = [
  { member: 'ingest-0', offsets: ['+0s', '-45s', '+0s'], seconds: [0, -45, 0] },
  { member: 'relay-0', offsets: ['+0s', '+10m', '+0s'], seconds: [0, 600, 0] },
  { member: 'dispatcher-0', offsets: ['+0s', '+1h', '-2m'], seconds: [0, 3_600, -120] },
] as const;

/**
 * How far a member's wall clock is from ours, read from the `Date` header of its health route
 * (whole seconds): evidence from outside that the jump landed in the running process.
 */
async function clockOffsetSeconds(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  await response.arrayBuffer();
  return Math.round((Date.parse(response.headers.get('date') ?? '') - Date.now()) / 1_000);
}

const clockDir = `/tmp/exactly-faults-clock-${randomBytes(4).toString('hex')}`;
const fileOf = (member: string) => join(clockDir, member);

/**
 * libfaketime reads the process's offset from a file (checked at most once a second), so the
 * scenario can move a running process's wall clock. Timers and Node's monotonic clock keep real
 * time, as they do when NTP steps a clock.
 */
function jumpingClock(member: string): Record<string, string> {
  ensureTools('faketime');
  return {
    LD_PRELOAD: libfaketime,
    FAKETIME_TIMESTAMP_FILE: fileOf(member),
    FAKETIME_CACHE_DURATION: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/**
 * Wall clocks that jump while the pipeline runs: the ingest API's 45 s back, a relay's 10 min
 * ahead, a dispatcher's an hour ahead and then two minutes behind, while a fifth of the provider
 * calls fail (so retries are scheduled across the jumps). Leases, retention and retries go by
 * the database's clock, so nothing may be sent twice, lost, or retried early or never.
 */
export const clockJump: Scenario<Resources> = {
  name: 'clock-jump',
  description:
    'wall clocks jump mid-run (faketime file): ingest -45 s, a relay +10 min, a dispatcher +1 h then -2 min, while 20% of provider calls fail',
  seed: 1313,
  commands: 900,
  load: { ratePerSecond: 50 },
  settleTimeoutMs: 60_000,
  pipeline: {
    relays: 2,
    dispatchers: 2,
    memberEnv: (kind, index) => {
      const member = `${kind}-${index}`;
      return jumps.some((jump) => jump.member === member) ? jumpingClock(member) : {};
    },
  },
  async setUp(base) {
    mkdirSync(clockDir, { recursive: true });
    for (const jump of jumps) writeFileSync(fileOf(jump.member), `${jump.offsets[0]}\n`);
    return { environment: base, resources: { dir: clockDir } };
  },
  async release({ dir }) {
    rmSync(dir, { recursive: true, force: true });
  },
  async run(context) {
    context.provider.failWith({ kind: 'fail-rate', rate: 0.2 });
    const load = context.load();
    try {
      for (const step of [1, 2] as const) {
        await context.sleep(context.between(4_000, 6_000));
        for (const jump of jumps) writeFileSync(fileOf(jump.member), `${jump.offsets[step]}\n`);
        await context.sleep(2_000);
        const seen: string[] = [];
        for (const jump of jumps) {
          const member = context.pipeline.all().find((each) => each.process.name === jump.member);
          if (!member) throw new Error(`no member ${jump.member}`);
          const offset = await clockOffsetSeconds(member.port);
          seen.push(`${jump.member} ${offset} s`);
          if (Math.abs(offset - jump.seconds[step]) > 3)
            context.problem(
              `${jump.member}'s clock is ${offset} s off, not ${jump.seconds[step]} s: the jump did not land`,
            );
        }
        context.injected(`clocks jumped, as their Date headers show: ${seen.join(', ')}`, jumps.length);
      }
      await context.sleep(5_000);
    } finally {
      context.provider.failWith({ kind: 'none' });
      await load;
    }
    const failures = context.provider.calls.filter((call) => call.outcome === 'failed').length;
    context.injected(`${failures} provider calls failed (500)`, failures);
    if (failures === 0) context.problem('no provider call failed: no retry crossed a jump');
  },
};
