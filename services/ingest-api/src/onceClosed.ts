import type { ServerResponse } from 'node:http';

/**
 * Runs `listener` once the response has been sent or its connection is gone, whichever is first.
 * A connection that closed before this is called (a client that timed out while its API key was
 * looked up) emits no more 'close': the listener then runs at once. A quota's share released on
 * 'close' alone would be held for good.
 */
export function onceClosed(response: ServerResponse, listener: () => void): void {
  if (response.closed) listener();
  else response.once('close', listener);
}
