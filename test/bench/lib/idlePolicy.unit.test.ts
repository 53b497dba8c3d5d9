import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { idlePolicy } from './idlePolicy.ts';

describe("the machine's idle policy", () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'idle-policy-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names the governor and how long a halting core polls first', () => {
    write('devices/system/cpu/cpuidle/current_governor', 'haltpoll\n');
    write('module/haltpoll/parameters/guest_halt_poll_ns', '0\n');
    expect(idlePolicy(root)).toBe('cpuidle governor haltpoll, guest_halt_poll_ns 0');
  });

  it('names the governor alone where there is no halt polling, and nothing where Linux says nothing', () => {
    expect(idlePolicy(root)).toBeUndefined();
    write('devices/system/cpu/cpuidle/current_governor', 'menu\n');
    expect(idlePolicy(root)).toBe('cpuidle governor menu');
  });
});
