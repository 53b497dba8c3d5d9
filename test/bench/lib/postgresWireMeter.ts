// A TCP proxy in front of PostgreSQL that reads the wire protocol as it passes and counts what one
// client program (a stage of the pipeline) asks of the server: round trips, transactions, each
// statement it executes, bytes both ways. The stand-in for pg_stat_statements, which needs a
// server restart here (shared_preload_libraries), and finer than it: per program, not per server.
//
// A round trip is a client Sync (extended protocol: node-postgres sends Parse/Bind/Describe/
// Execute/Sync per query) or a simple Query; the client waits for ReadyForQuery after each.
// A transaction is a ReadyForQuery whose status goes from in-transaction (T or E) back to idle.

import { connect, createServer, type Server, type Socket } from 'node:net';

export interface WireCounts {
  connections: number;
  roundTrips: number;
  /** Round trips the server has answered to the end (its ReadyForQuery seen). */
  readyForQuery: number;
  /** Explicit transaction blocks ended (COMMIT or ROLLBACK). */
  transactions: number;
  /** Statements that ran outside a transaction block (each its own transaction). */
  autocommitStatements: number;
  errors: number;
  notifications: number;
  bytesToServer: number;
  bytesFromServer: number;
  /** Executions by normalised statement text. */
  statements: Map<string, number>;
}

/** Collapses whitespace, numbers parameters as `?`, and folds repeated row tuples and long lists. */
export function normaliseStatement(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\$\d+/g, '?')
    .replace(
      /\((?:\s*\?\s*(?:::[\w[\]]+)?\s*,?)+\)(?:\s*,\s*\((?:\s*\?\s*(?:::[\w[\]]+)?\s*,?)+\))+/g,
      '(?, …), …',
    )
    .replace(/\b\d+\b/g, 'N')
    .replace(/'[^']*'/g, "'…'");
}

const sslRequestCode = 80877103;
const gssRequestCode = 80877104;

/** Reads one direction of a connection message by message, across chunk boundaries. */
class MessageReader {
  private pending = Buffer.alloc(0);
  private skip = 0;
  private startup: boolean;
  private readonly onMessage: (type: string, body: Buffer) => void;
  private readonly interesting: ReadonlySet<string>;

  constructor(
    startup: boolean,
    onMessage: (type: string, body: Buffer) => void,
    interesting: ReadonlySet<string>,
  ) {
    this.startup = startup;
    this.onMessage = onMessage;
    this.interesting = interesting;
  }

  /** The server answers an SSL or GSS request with one untyped byte. */
  expectRawByte = false;

  push(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    if (this.skip > 0) {
      const skipped = Math.min(this.skip, data.length);
      this.skip -= skipped;
      data = data.subarray(skipped);
    }
    let at = 0;
    for (;;) {
      if (this.expectRawByte && at < data.length) {
        this.expectRawByte = false;
        at += 1;
        continue;
      }
      if (this.startup) {
        if (data.length - at < 8) break;
        const length = data.readInt32BE(at);
        if (data.length - at < length) break;
        const code = data.readInt32BE(at + 4);
        this.onMessage(
          code === sslRequestCode || code === gssRequestCode ? 'ssl' : 'startup',
          Buffer.alloc(0),
        );
        // After an SSL/GSS request the client sends its startup packet again (we never see TLS: no sslmode).
        this.startup = code === sslRequestCode || code === gssRequestCode;
        at += length;
        continue;
      }
      if (data.length - at < 5) break;
      const type = String.fromCharCode(data[at] as number);
      const length = data.readInt32BE(at + 1);
      const end = at + 1 + length;
      if (!this.interesting.has(type)) {
        if (end > data.length) {
          this.skip = end - data.length;
          at = data.length;
          break;
        }
        at = end;
        continue;
      }
      if (end > data.length) break;
      this.onMessage(type, data.subarray(at + 5, end));
      at = end;
    }
    if (at < data.length) this.pending = Buffer.from(data.subarray(at));
  }
}

function cString(body: Buffer, from: number): [string, number] {
  const end = body.indexOf(0, from);
  return [body.toString('utf8', from, end), end + 1];
}

/** A proxy for one client program; point its DATABASE_URL at `url(database)`. */
export class PostgresWireMeter {
  readonly counts: WireCounts = {
    connections: 0,
    roundTrips: 0,
    transactions: 0,
    readyForQuery: 0,
    autocommitStatements: 0,
    errors: 0,
    notifications: 0,
    bytesToServer: 0,
    bytesFromServer: 0,
    statements: new Map(),
  };
  /** Local ports of the proxy's connections to the server: pg_stat_activity.client_port of this program's sessions. */
  readonly serverSidePorts = new Set<number>();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  private readonly target: { host: string; port: number };

  constructor(target: { host: string; port: number }) {
    this.target = target;
  }

  async listen(): Promise<this> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  /** `databaseUrl` with its host and port replaced by this proxy's. */
  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** A copy of the counts so far (take two and subtract for a window). */
  snapshot(): WireCounts {
    return { ...this.counts, statements: new Map(this.counts.statements) };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    const counts = this.counts;
    counts.connections += 1;
    const upstream = connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => this.sockets.delete(socket));
    }
    upstream.once('connect', () => {
      if (upstream.localPort !== undefined) this.serverSidePorts.add(upstream.localPort);
    });
    // Per connection: statement names to texts, portal names to statement texts.
    const prepared = new Map<string, string>();
    const portals = new Map<string, string>();
    let inTransaction = false;
    let executedSinceReady = 0;
    const fromClient = new MessageReader(
      true,
      (type, body) => {
        if (type === 'ssl') fromServer.expectRawByte = true;
        else if (type === 'Q') {
          counts.roundTrips += 1;
          executedSinceReady += 1;
          const text = normaliseStatement(cString(body, 0)[0]);
          counts.statements.set(text, (counts.statements.get(text) ?? 0) + 1);
        } else if (type === 'P') {
          const [name, next] = cString(body, 0);
          prepared.set(name, normaliseStatement(cString(body, next)[0]));
        } else if (type === 'B') {
          const [portal, next] = cString(body, 0);
          portals.set(portal, prepared.get(cString(body, next)[0]) ?? '(unknown prepared statement)');
        } else if (type === 'E') {
          executedSinceReady += 1;
          const text = portals.get(cString(body, 0)[0]) ?? '(unknown portal)';
          counts.statements.set(text, (counts.statements.get(text) ?? 0) + 1);
        } else if (type === 'S') counts.roundTrips += 1;
      },
      new Set(['Q', 'P', 'B', 'E', 'S']),
    );
    const fromServer = new MessageReader(
      false,
      (type, body) => {
        if (type === 'Z') {
          counts.readyForQuery += 1;
          const status = String.fromCharCode(body[0] as number);
          if (status === 'I' && inTransaction) counts.transactions += 1;
          else if (status === 'I' && executedSinceReady > 0)
            counts.autocommitStatements += executedSinceReady;
          inTransaction = status !== 'I';
          executedSinceReady = 0;
        } else if (type === 'E') counts.errors += 1;
        else if (type === 'A') counts.notifications += 1;
      },
      new Set(['Z', 'E', 'A']),
    );
    client.on('data', (chunk: Buffer) => {
      counts.bytesToServer += chunk.length;
      fromClient.push(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      counts.bytesFromServer += chunk.length;
      fromServer.push(chunk);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** What happened between two snapshots of one meter. */
export function wireDelta(before: WireCounts, after: WireCounts): WireCounts {
  const statements = new Map<string, number>();
  for (const [text, count] of after.statements) {
    const delta = count - (before.statements.get(text) ?? 0);
    if (delta > 0) statements.set(text, delta);
  }
  return {
    connections: after.connections - before.connections,
    roundTrips: after.roundTrips - before.roundTrips,
    readyForQuery: after.readyForQuery - before.readyForQuery,
    transactions: after.transactions - before.transactions,
    autocommitStatements: after.autocommitStatements - before.autocommitStatements,
    errors: after.errors - before.errors,
    notifications: after.notifications - before.notifications,
    bytesToServer: after.bytesToServer - before.bytesToServer,
    bytesFromServer: after.bytesFromServer - before.bytesFromServer,
    statements,
  };
}
