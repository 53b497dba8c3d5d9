import type { Output } from './output.js';

export interface Progress {
  /** `done` items of `total` (when known). */
  update(done: number, total?: number): void;
  /** The last state, then a line break; further updates are ignored. */
  finish(): void;
}

/**
 * Progress of a long operation on stderr (stdout stays for results): on a terminal a bar redrawn
 * in place at most ten times a second; otherwise (logs, CI, pipes) a plain line every two seconds
 * and at the end. Written here rather than taken from a library: it is this small, and the usual
 * ones (cli-progress, progress) print nothing or control characters when stderr is not a terminal.
 */
export function createProgress(
  out: Output,
  label: string,
  { enabled = true, total: initialTotal }: { enabled?: boolean; total?: number } = {},
): Progress {
  const started = Date.now();
  let total = initialTotal;
  let done = 0;
  let lastDraw = 0;
  let finished = !enabled;
  let drawn = false;
  let drawnDone = -1;

  const describe = () => {
    const elapsed = `${((Date.now() - started) / 1_000).toFixed(1)} s`;
    if (total === undefined || total <= 0) return `${done} · ${elapsed}`;
    const percent = Math.min(100, Math.floor((done / total) * 100));
    return `${done}/${total} (${percent}%) · ${elapsed}`;
  };
  const draw = (force: boolean) => {
    const now = Date.now();
    if (out.isTTY) {
      if (!force && now - lastDraw < 100) return;
      const width = Math.max(10, Math.min(40, out.columns - label.length - 40));
      const filled = total ? Math.round((Math.min(done, total) / total) * width) : 0;
      const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
      out.stderr(`\r\x1b[K${label} ${bar}${describe()}`);
    } else {
      if (!force && now - lastDraw < 2_000) return;
      out.stderr(`${label}: ${describe()}\n`);
    }
    lastDraw = now;
    drawn = true;
    drawnDone = done;
  };

  return {
    update(value, newTotal) {
      if (finished) return;
      done = value;
      if (newTotal !== undefined) total = newTotal;
      draw(false);
    },
    finish() {
      if (finished) return;
      finished = true;
      if ((done === 0 && !drawn) || (!out.isTTY && drawnDone === done)) return;
      draw(true);
      if (out.isTTY && drawn) out.stderr('\n');
    },
  };
}
