#!/usr/bin/env node
import { processOutput } from './output.js';
import { runCli } from './runCli.js';

// SIGINT/SIGTERM ask a long-running command (the dispatcher supervisor) to stop cleanly; a second
// one exits at once.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  });
}

process.exitCode = await runCli(process.argv.slice(2), { out: processOutput(), signal: stop.signal });
