import { createRequire } from 'node:module';

interface RequestQueue {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const checkPendingRequestsInterval = 10;
let applied = false;

/**
 * kafkajs 2.2.4 re-arms a 1 ms timer on every connection for ever once a request completed,
 * even with nothing pending (tulios/kafkajs#1556, #1704; the source of Node 24's
 * TimeoutNegativeWarning, #1751): an idle client burns a few percent of a core per process.
 * This is the upstream proposal: schedule a check only when a request waits or a throttle runs.
 * Applied once per process; remove with a kafkajs release that fixes it.
 */
export function fixKafkajsIdleLoop(): void {
  if (applied) return;
  applied = true;
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(
    this: RequestQueue,
  ) {
    if (this.throttleCheckTimeoutId) return;
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : checkPendingRequestsInterval;
    else if (scheduleAt <= 0) return;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, scheduleAt);
  };
}
