import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
const packageDir = fileURLToPath(new URL('..', import.meta.url));

// In plain Node, as services run it: jest loads CommonJS modules through a registry of its own,
// where the fix (which patches kafkajs in Node's module cache) cannot be observed.
const script = `
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
const require = createRequire(${JSON.stringify(`${packageDir}package.json`)});
const { createKafka } = await import(${JSON.stringify(`${packageDir}dist/index.js`)});
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js');
const original = RequestQueue.prototype.checkPendingRequests;
let checks = 0;
RequestQueue.prototype.checkPendingRequests = function () { checks += 1; return original.call(this); };
const admin = createKafka({ brokers: ${JSON.stringify(brokers)}, clientId: 'idle-loop-test' }).admin();
await admin.connect();
await admin.listTopics();
await sleep(50);
checks = 0;
await sleep(500);
await admin.disconnect();
console.log(checks);
`;

describe('an idle kafkajs client made by createKafka', () => {
  it('does not spin a timer on its connections once requests are answered', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).not.toMatch(/Error/);
    // Unpatched kafkajs 2.2.4 checks about once a millisecond per connection here (hundreds).
    expect(Number(run.stdout.trim())).toBeLessThan(10);
  });
});
