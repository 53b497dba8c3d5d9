// The send protocol as a Promela model (exactly.pml), checked exhaustively by spin: the correct
// protocol under both ambiguity policies holds every invariant; each deliberately broken variant
// violates the invariant it should; witnesses show the checked runs reach what they claim to.

import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTools } from '../faults/injectors/systemTools.ts';

const model = join(dirname(fileURLToPath(import.meta.url)), 'exactly.pml');

interface Verdict {
  errors: number;
  states: number;
  violated: string | undefined;
  seconds: number;
}

/** spin -a with the defines, cc, and an exhaustive safety search; what it found. */
async function check(defines: string[]): Promise<Verdict> {
  const folder = await mkdtemp(join(tmpdir(), 'exactly-spin-'));
  try {
    const step = (command: string, args: string[]) => {
      const result = spawnSync(command, args, { cwd: folder, encoding: 'utf8', timeout: 300_000 });
      if (result.status !== 0 && command !== './pan')
        throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
      return `${result.stdout}${result.stderr}`;
    };
    step('spin', ['-a', ...defines.map((define) => `-D${define}`), model]);
    step('cc', ['-O2', '-DSAFETY', '-w', '-o', 'pan', 'pan.c']);
    const started = performance.now();
    const output = step('./pan', ['-m200000']);
    const seconds = (performance.now() - started) / 1_000;
    const errors = Number(/errors: (\d+)/.exec(output)?.[1] ?? Number.NaN);
    const states = Number(/(\d+) states, stored/.exec(output)?.[1] ?? Number.NaN);
    if (/max search depth too small/.test(output)) throw new Error(`the search was cut short:\n${output}`);
    const violated = /assertion violated \((.*)\) \(at depth/.exec(output)?.[1];
    console.log(
      `spin ${defines.join(' ') || '(retry)'}: ${states} states, ${errors} errors, ${seconds.toFixed(1)} s`,
    );
    return { errors, states, violated, seconds };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

describe('the send protocol, model-checked', () => {
  beforeAll(() => ensureTools('spin'));

  it('holds every invariant under the hold policy, with two crashes anywhere', async () => {
    const verdict = await check(['HOLD', 'MAX_CRASHES=2']);
    expect(verdict).toMatchObject({ errors: 0, violated: undefined });
    expect(verdict.states).toBeGreaterThan(1_000_000);
    // Minutes on a loaded machine (the search alone has 5 minutes: spawnSync's timeout).
  }, 600_000);

  it('holds every invariant under the retry policy (a provider that honours the key)', async () => {
    const verdict = await check([]);
    expect(verdict).toMatchObject({ errors: 0, violated: undefined });
    expect(verdict.states).toBeGreaterThan(1_000_000);
  }, 600_000);

  it('reaches what it checks: a sent command, a held one, and a retried call', async () => {
    expect((await check(['WITNESS_SENT'])).violated).toBe('effectState[i]!=2');
    expect((await check(['HOLD', 'WITNESS_HELD'])).violated).toBe('effectState[i]!=4');
    expect((await check(['WITNESS_SECOND_CALL'])).violated).toBe('calls[c]<=1');
  });

  it('finds the lost command when the inbox is marked before the effect is written', async () => {
    const verdict = await check(['BROKEN_INBOX']);
    expect(verdict.violated).toMatch(/^ !\(accepted\[i\]\)\|\|\(effect\[i\]/);
  });

  it('finds the double call when an attempt starts without checking its claim', async () => {
    expect((await check(['HOLD', 'BROKEN_FENCE'])).violated).toBe('calls[c]<=(1+ambiguous[c])');
  });

  it("finds one key's commands taken up out of commit order when the relay publishes any row first", async () => {
    expect((await check(['BROKEN_ORDER'])).violated).toBe('((c==0)|| !(accepted[0]))||inbox[0]');
  });

  it('finds the double call when a lapsed claim is not taken as an unknown outcome', async () => {
    expect((await check(['HOLD', 'BROKEN_AMBIGUITY'])).violated).toBe('calls[c]<=(1+ambiguous[c])');
  });
});
