import type { IncomingMessage } from 'node:http';

/**
 * Reads and discards what is left of a request's body, up to `maxBytes`, and resolves once it
 * has all arrived (or the limit is passed, or the connection is gone). A server that answers
 * and closes while the client is still sending makes the kernel reset the connection, and the
 * reset destroys the answer before the client reads it; draining first lets the client finish
 * sending and then read it.
 */
export function drainRequest(raw: IncomingMessage, maxBytes: number): Promise<void> {
  if (raw.complete || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let received = 0;
    const done = () => {
      raw.off('data', onData);
      raw.off('end', done);
      raw.off('close', done);
      raw.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) done();
    };
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('close', done);
    raw.once('error', done);
    raw.resume();
  });
}
