import { randomBytes } from 'node:crypto';
import { ensureTools, run } from './systemTools.ts';

/** Chains of this suite start with this, so leftovers of a killed run can be found and removed. */
const chainPrefix = 'EXFAULT-';

function iptables(...args: string[]): void {
  const result = run('iptables', ['-w', '5', ...args]);
  if (result.status !== 0) throw new Error(`iptables ${args.join(' ')} failed: ${result.output}`);
}

/**
 * Network faults on loopback ports with iptables (this kernel has no `tc netem`): every rule
 * lives in a chain of its own, jumped to from INPUT, and matches only the ports given, which
 * must be the servers of this run (the three-node cluster's, a PostgreSQL the scenario
 * started, a proxy's). `remove()` takes the chain away; call it in `finally`.
 */
export class Firewall {
  readonly chain = `${chainPrefix}${randomBytes(4).toString('hex')}`;
  private readonly outputChain = `${this.chain}-OUT`;
  private installed = false;
  private outputInstalled = false;

  constructor() {
    ensureTools('iptables');
  }

  private install(): void {
    if (this.installed) return;
    iptables('-N', this.chain);
    iptables('-I', 'INPUT', '1', '-j', this.chain);
    this.installed = true;
  }

  /** Owner matches (one process group's packets) work only where packets leave a process: a chain of OUTPUT. */
  private installOutput(): void {
    if (this.outputInstalled) return;
    iptables('-N', this.outputChain);
    iptables('-I', 'OUTPUT', '1', '-j', this.outputChain);
    this.outputInstalled = true;
  }

  /**
   * A one-way partition of chosen processes: packets that processes of group `gid` send to the
   * ports are dropped (iptables' owner match), so they cannot reach those servers while every
   * other process can, and they still reach every other port. Start the processes with that
   * group id (root keeps its access to files whatever its group).
   */
  cutOff(gid: number, ports: number[]): void {
    this.installOutput();
    for (const port of ports) {
      iptables(
        '-A',
        this.outputChain,
        '-p',
        'tcp',
        '-m',
        'owner',
        '--gid-owner',
        String(gid),
        '--dport',
        String(port),
        '-j',
        'DROP',
      );
    }
  }

  /** Silently drops packets to and from the ports (a partition); `probability` < 1 drops that share at random. */
  drop(ports: number[], probability = 1): void {
    this.install();
    const random =
      probability < 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability.toFixed(3)] : [];
    for (const port of ports) {
      for (const side of ['--dport', '--sport']) {
        iptables('-A', this.chain, '-p', 'tcp', side, String(port), ...random, '-j', 'DROP');
      }
    }
  }

  /** Answers every packet to or from the ports with a TCP reset: open connections break, new ones are refused. */
  reset(ports: number[]): void {
    this.install();
    for (const port of ports) {
      for (const side of ['--dport', '--sport']) {
        iptables(
          '-A',
          this.chain,
          '-p',
          'tcp',
          side,
          String(port),
          '-j',
          'REJECT',
          '--reject-with',
          'tcp-reset',
        );
      }
    }
  }

  /** Packets the one-way partitions dropped since they were set (iptables' own counters). */
  cutOffPackets(): number {
    if (!this.outputInstalled) return 0;
    const listing = run('iptables', ['-w', '5', '-L', this.outputChain, '-v', '-x', '-n']);
    return listing.output
      .split('\n')
      .map((line) => /^\s*(\d+)\s+\d+\s+DROP\b/.exec(line)?.[1])
      .reduce((sum, packets) => sum + Number(packets ?? 0), 0);
  }

  /** Lifts every rule (the chain stays for the next fault). */
  clear(): void {
    if (this.installed) iptables('-F', this.chain);
    if (this.outputInstalled) iptables('-F', this.outputChain);
  }

  /** Removes the chain and its jump; safe to call twice. */
  remove(): void {
    if (this.installed) removeChain(this.chain);
    if (this.outputInstalled) removeChain(this.outputChain);
    this.installed = false;
    this.outputInstalled = false;
  }

  /** Removes the chains a killed run of this suite left behind (only ours, by their prefix). */
  static removeLeftovers(): void {
    const listing = run('iptables', ['-w', '5', '-S']);
    if (listing.status !== 0) return;
    for (const line of listing.output.split('\n')) {
      const match = /^-N (EXFAULT-[0-9a-f]+(?:-OUT)?)$/.exec(line.trim());
      if (match?.[1]) removeChain(match[1]);
    }
  }
}

function removeChain(chain: string): void {
  // The jump may have been inserted more than once by a confused run: delete until none is left.
  for (const hook of ['INPUT', 'OUTPUT'])
    while (run('iptables', ['-w', '5', '-D', hook, '-j', chain]).status === 0) {}
  run('iptables', ['-w', '5', '-F', chain]);
  run('iptables', ['-w', '5', '-X', chain]);
}
