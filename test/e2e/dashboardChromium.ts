// Headless Chromium from Debian's packages, driven by playwright-core, for the dashboard's
// end-to-end test. The test installs Chromium itself when it is missing (as root, with apt-get):
// Playwright's own browser download is not reachable from this project's machines.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Installs Debian's chromium package when the executable is missing (takes a minute or two once). */
export function ensureChromium(): void {
  if (existsSync(chromiumPath)) return;
  const run = (args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: 'inherit',
      timeout: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  run(['update']);
  run(['install', '-y', '--no-install-recommends', 'chromium']);
  if (!existsSync(chromiumPath))
    throw new Error(`apt-get installed chromium, but ${chromiumPath} does not exist`);
}

/**
 * A fresh browser profile: run as root it needs --no-sandbox, and this machine's closed network
 * needs every background connection off (otherwise Chromium keeps dialling Google's hosts).
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'exactly-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
