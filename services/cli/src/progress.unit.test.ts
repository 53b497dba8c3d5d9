import type { Output } from './output.js';
import { createProgress } from './progress.js';

function capture(isTTY: boolean) {
  const written: string[] = [];
  const out: Output = { stdout: () => {}, stderr: (text) => written.push(text), isTTY, columns: 100 };
  return { out, written };
}

describe('progress on stderr', () => {
  it('prints plain lines when stderr is not a terminal: the first update, then the end', () => {
    const { out, written } = capture(false);
    const progress = createProgress(out, 'send', { total: 200 });
    for (let done = 1; done <= 200; done += 1) progress.update(done);
    progress.finish();
    expect(written).toHaveLength(2);
    expect(written[0]).toMatch(/^send: 1\/200 \(0%\) · \d+\.\d s\n$/);
    expect(written[1]).toMatch(/^send: 200\/200 \(100%\) · \d+\.\d s\n$/);
  });

  it('redraws one bar in place on a terminal and ends the line when finished', () => {
    const { out, written } = capture(true);
    const progress = createProgress(out, 'send', { total: 4 });
    progress.update(2);
    progress.finish();
    expect(written[0]?.startsWith('\r\u001b[K')).toBe(true);
    expect(written[0]?.slice(4)).toMatch(/^send \[#+\.+\] 2\/4 \(50%\)/);
    expect(written.at(-1)).toBe('\n');
  });

  it('prints nothing when disabled (--quiet) or when nothing happened', () => {
    const quiet = capture(false);
    const disabled = createProgress(quiet.out, 'send', { enabled: false, total: 3 });
    disabled.update(3);
    disabled.finish();
    const idle = capture(false);
    createProgress(idle.out, 'redrive').finish();
    expect([...quiet.written, ...idle.written]).toEqual([]);
  });
});
