#!/usr/bin/env node
// The `exactly` command. It needs Node.js 22 or newer (MikroORM 7 does); when the node running
// it is older, it runs again with the project's own Node from .toolchain/, which `npm start` and
// `npm test` install on such machines. Plain JavaScript, so any Node can read it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The package's own `./main` export (dist/main.js), resolved through its exports map.
const main = fileURLToPath(import.meta.resolve('@exactly/cli/main'));
const major = Number(process.versions.node.split('.')[0]);

if (major >= 22) {
  await import(main);
} else {
  const projectNode = fileURLToPath(new URL('../../../.toolchain/node_modules/.bin/node', import.meta.url));
  if (!existsSync(projectNode)) {
    console.error(
      `exactly needs Node.js 22 or newer, and this is ${process.version}. Run \`npm start\` or \`npm test\` once ` +
        '(they install Node 24 into .toolchain/), or install Node.js 22+.',
    );
    process.exit(2);
  }
  const result = spawnSync(projectNode, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
