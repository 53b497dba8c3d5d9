import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';

/** Debian packages the fault scenarios and the protocol model need, by the file each provides. */
const tools = {
  iptables: { file: '/usr/sbin/iptables', packages: ['iptables'] },
  faketime: { file: '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', packages: ['faketime'] },
  spin: { file: '/usr/bin/spin', packages: ['spin'] },
} as const;

export type Tool = keyof typeof tools;

/** The LD_PRELOAD library of libfaketime, once `ensureTools('faketime')` returned. */
export const libfaketime = tools.faketime.file;

let updated = false;

/**
 * Installs what the scenarios need from Debian when it is missing (`apt-get install`, as root:
 * the machines this project runs on are set up by its own files, not by hand). Throws, naming
 * the package, when it cannot.
 */
export function ensureTools(...wanted: Tool[]): void {
  const missing = wanted.filter((tool) => !existsSync(tools[tool].file));
  if (missing.length === 0) return;
  if (userInfo().uid !== 0)
    throw new Error(
      `the fault scenarios need ${missing.join(', ')}; install it (apt-get install ${missing.join(' ')}) or run as root`,
    );
  const packages = missing.flatMap((tool) => tools[tool].packages);
  const apt = (args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 300_000,
    });
  if (!updated) {
    apt(['update', '-qq']);
    updated = true;
  }
  apt(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  const still = missing.filter((tool) => !existsSync(tools[tool].file));
  if (still.length > 0) throw new Error(`apt-get could not install ${still.join(', ')}`);
}

/** Runs a command, returning its exit code and output (never throws on a non-zero exit). */
export function run(command: string, args: string[]): { status: number; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { status: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}
