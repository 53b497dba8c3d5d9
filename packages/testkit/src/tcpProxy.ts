import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

/**
 * A userspace TCP proxy on 127.0.0.1 for network faults without `tc netem` (which this kernel
 * lacks): it forwards to a target and can add latency, stall connections (bytes stop flowing
 * but sockets stay open), refuse new ones, or reset every open one. Works for PostgreSQL;
 * a Kafka client learns brokers' own addresses from metadata, so for Kafka use it only where
 * the broker advertises the proxy's address.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private mode: ProxyMode = 'forward';
  private latencyMs = 0;
  private stalled = false;
  private readonly targetHost: string;
  private readonly targetPort: number;

  constructor(target: { host?: string; port: number }) {
    this.targetHost = target.host ?? '127.0.0.1';
    this.targetPort = target.port;
  }

  /** Starts listening; returns the port (a free one unless given). */
  async listen(port = 0): Promise<number> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    this.server = server;
    return (server.address() as { port: number }).port;
  }

  /** New connections are accepted and forwarded (the normal state). */
  forward(): void {
    this.mode = 'forward';
    this.stalled = false;
  }

  /** New connections are reset at once (a down server, or `iptables -j REJECT --reject-with tcp-reset`). */
  refuse(): void {
    this.mode = 'refuse';
  }

  /** New connections are accepted but nothing is forwarded (`iptables -j DROP` as a client sees it). */
  blackhole(): void {
    this.mode = 'blackhole';
  }

  /** Bytes on open connections stop flowing in both directions until `forward()`. */
  stall(): void {
    this.stalled = true;
  }

  /** Every chunk waits this long before it is passed on. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Resets every open connection (both sides see ECONNRESET). */
  resetAll(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    this.track(client);
    if (this.mode === 'blackhole') return;
    const upstream = connect(this.targetPort, this.targetHost);
    this.track(upstream);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private pipe(from: Socket, to: Socket): void {
    const queue: Buffer[] = [];
    let draining = false;
    const drain = async () => {
      if (draining) return;
      draining = true;
      while (queue.length > 0) {
        while (this.stalled && !to.destroyed) await new Promise((resolve) => setTimeout(resolve, 20));
        if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
        const chunk = queue.shift();
        if (chunk && !to.destroyed) to.write(chunk);
      }
      draining = false;
    };
    from.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      void drain();
    });
    from.on('end', () => to.end());
    from.on('close', () => to.destroy());
  }
}
