// How this machine's idle cores wait: on a virtual machine a core that halts at once hands every
// wake-up to the host, which makes each hop between processes dearer at a modest rate. The report
// states it beside the cores; undefined where Linux does not expose it.

import { readFileSync } from 'node:fs';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** "cpuidle governor haltpoll, guest_halt_poll_ns 0", or undefined. */
export function idlePolicy(root = '/sys'): string | undefined {
  const governor = read(`${root}/devices/system/cpu/cpuidle/current_governor`);
  if (governor === undefined) return undefined;
  const pollNs = read(`${root}/module/haltpoll/parameters/guest_halt_poll_ns`);
  return `cpuidle governor ${governor}${pollNs === undefined ? '' : `, guest_halt_poll_ns ${pollNs}`}`;
}
