import { createServer } from 'node:net';

/**
 * Ports this process has handed out. The OS may offer a port again as soon as the probe closes
 * it, and a pipeline picks its members' ports before it starts them: two members given one port
 * would leave one of them answering for both.
 */
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it), never the same twice. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = await probePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no port the OS offered was new after 50 tries (${handedOut.size} handed out)`);
}

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
