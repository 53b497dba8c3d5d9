import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy in front of Kafka brokers whose traffic a test can cut and restore. */
export interface KafkaProxy {
  /** The proxy's addresses, to use as KAFKA_BROKERS. */
  brokers: string;
  /** Resets every open connection and every new one until `restore`: Kafka looks down. */
  cut(): void;
  restore(): void;
  /**
   * Stalls every connection (nothing flows either way, sockets stay open) when the `nth` request
   * of `apiKey` arrives, before that request reaches the broker; resolves then. What a client
   * sent meanwhile reaches the broker on `resume`, unless the client reset its connection first.
   */
  stallAtRequest(apiKey: number, nth: number): Promise<void>;
  resume(): void;
  /**
   * Lets the `nth` request of `apiKey` reach the broker and, when the broker's answer to it
   * comes, cuts instead of passing it on (as `cut`); resolves then. The broker did the work and
   * the client never learns it: a response lost with its connection.
   */
  cutAtResponse(apiKey: number, nth: number): Promise<void>;
  close(): Promise<void>;
}

/** The Produce request's API key. */
export const produceApiKey = 0;

/** Fires once the `left`-th request of `apiKey` from now arrives. */
interface RequestTrigger {
  apiKey: number;
  left: number;
  fire: () => void;
}

/** Whether `trigger` fires at this request of `apiKey` (counting it down). */
const firesAt = (trigger: RequestTrigger | undefined, apiKey: number): trigger is RequestTrigger =>
  trigger !== undefined && trigger.apiKey === apiKey && --trigger.left === 0;

interface Gate {
  stalled: boolean;
  /** Flushes of the stalled connections, run on resume. */
  waiting: Set<() => void>;
  trigger?: RequestTrigger;
  responseTrigger?: RequestTrigger;
  cut: () => void;
}

const metadataApiKey = 3;

/**
 * Starts one listener per broker on 127.0.0.1. Clients learn broker addresses from Metadata
 * responses, so those are rewritten to point at the proxy's listeners (Metadata v1 to v8, the
 * non-flexible versions kafkajs speaks); everything else passes through untouched. This keeps a
 * client behind the proxy even though the brokers advertise their own addresses, without
 * touching the shared broker other tests use.
 */
export async function startKafkaProxy(upstreams: readonly string[]): Promise<KafkaProxy> {
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  const addressOf = new Map<string, { host: string; port: number }>();
  let down = false;
  const cut = () => {
    down = true;
    for (const socket of sockets) socket.resetAndDestroy();
  };
  const gate: Gate = { stalled: false, waiting: new Set(), cut };

  for (const upstream of upstreams) {
    const server = createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => {});
      if (down) {
        client.resetAndDestroy();
        return;
      }
      const [host, port] = upstream.split(':') as [string, string];
      const broker = connect({ host, port: Number(port) });
      sockets.add(broker);
      broker.on('close', () => {
        sockets.delete(broker);
        client.destroy();
      });
      broker.on('error', () => client.destroy());
      client.on('close', () => broker.destroy());
      relayConnection(
        client,
        broker,
        (brokerHost, brokerPort) => addressOf.get(`${brokerHost}:${brokerPort}`),
        gate,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    addressOf.set(upstream, { host: '127.0.0.1', port: address.port });
    servers.push(server);
  }

  return {
    brokers: upstreams.map((upstream) => `127.0.0.1:${addressOf.get(upstream)?.port}`).join(','),
    cut,
    restore() {
      down = false;
    },
    stallAtRequest(apiKey, nth) {
      return new Promise((resolve) => {
        gate.trigger = { apiKey, left: nth, fire: () => resolve() };
      });
    },
    resume() {
      gate.stalled = false;
      for (const flush of [...gate.waiting]) flush();
      gate.waiting.clear();
    },
    cutAtResponse(apiKey, nth) {
      return new Promise((resolve) => {
        gate.responseTrigger = { apiKey, left: nth, fire: () => resolve() };
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

type AddressMap = (host: string, port: number) => { host: string; port: number } | undefined;

function relayConnection(client: Socket, broker: Socket, mapAddress: AddressMap, gate: Gate): void {
  const metadataVersions = new Map<number, number>();
  // The request whose answer cuts every connection instead of reaching the client.
  let cutAt: { correlationId: number; fire: () => void } | undefined;
  // Held while the gate is stalled, in order; dropped with the connection.
  const toBroker: Buffer[] = [];
  const toClient: Buffer[] = [];
  const flush = () => {
    if (gate.stalled) return;
    for (const frame of toBroker.splice(0)) if (!broker.destroyed) broker.write(frame);
    for (const frame of toClient.splice(0)) if (!client.destroyed) client.write(frame);
  };
  const send = (queue: Buffer[], frame: Buffer) => {
    queue.push(frame);
    if (gate.stalled) gate.waiting.add(flush);
    else flush();
  };
  client.on('close', () => {
    toBroker.length = 0;
    gate.waiting.delete(flush);
  });
  let requests: Buffer = Buffer.alloc(0);
  client.on('data', (chunk: Buffer) => {
    requests = Buffer.concat([requests, chunk]);
    while (requests.length >= 12) {
      const size = requests.readInt32BE(0);
      if (requests.length < 4 + size) break;
      const apiKey = requests.readInt16BE(4);
      if (apiKey === metadataApiKey) {
        metadataVersions.set(requests.readInt32BE(8), requests.readInt16BE(6));
      }
      const trigger = gate.trigger;
      if (firesAt(trigger, apiKey)) {
        gate.trigger = undefined;
        gate.stalled = true;
        trigger.fire();
      }
      const responseTrigger = gate.responseTrigger;
      if (firesAt(responseTrigger, apiKey)) {
        gate.responseTrigger = undefined;
        cutAt = { correlationId: requests.readInt32BE(8), fire: responseTrigger.fire };
      }
      send(toBroker, requests.subarray(0, 4 + size));
      requests = requests.subarray(4 + size);
    }
  });
  let responses: Buffer = Buffer.alloc(0);
  broker.on('data', (chunk: Buffer) => {
    responses = Buffer.concat([responses, chunk]);
    while (responses.length >= 8) {
      const size = responses.readInt32BE(0);
      if (responses.length < 4 + size) break;
      let frame: Buffer = responses.subarray(0, 4 + size);
      responses = responses.subarray(4 + size);
      const correlationId = frame.readInt32BE(4);
      if (cutAt?.correlationId === correlationId) {
        const { fire } = cutAt;
        cutAt = undefined;
        gate.cut();
        fire();
        return;
      }
      const version = metadataVersions.get(correlationId);
      if (version !== undefined) {
        metadataVersions.delete(correlationId);
        if (version >= 1 && version <= 8) frame = rewriteMetadata(frame, version, mapAddress);
      }
      send(toClient, frame);
    }
  });
}

/** Rewrites the brokers array of a Metadata response (v1 to v8) through `mapAddress`. */
function rewriteMetadata(frame: Buffer, version: number, mapAddress: AddressMap): Buffer {
  let offset = 8 + (version >= 3 ? 4 : 0);
  const head = frame.subarray(4, offset);
  const count = frame.readInt32BE(offset);
  offset += 4;
  const brokers: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = frame.readInt32BE(offset);
    const hostLength = frame.readInt16BE(offset + 4);
    const host = frame.toString('utf8', offset + 6, offset + 6 + hostLength);
    offset += 6 + hostLength;
    const port = frame.readInt32BE(offset);
    offset += 4;
    const rackLength = frame.readInt16BE(offset);
    const rack = frame.subarray(offset, offset + 2 + Math.max(0, rackLength));
    offset += 2 + Math.max(0, rackLength);
    const mapped = mapAddress(host, port) ?? { host, port };
    const hostBytes = Buffer.from(mapped.host);
    const entry = Buffer.alloc(4 + 2 + hostBytes.length + 4);
    entry.writeInt32BE(nodeId, 0);
    entry.writeInt16BE(hostBytes.length, 4);
    hostBytes.copy(entry, 6);
    entry.writeInt32BE(mapped.port, 6 + hostBytes.length);
    brokers.push(entry, rack);
  }
  const countBytes = Buffer.alloc(4);
  countBytes.writeInt32BE(count);
  const body = Buffer.concat([head, countBytes, ...brokers, frame.subarray(offset)]);
  const sizeBytes = Buffer.alloc(4);
  sizeBytes.writeInt32BE(body.length);
  return Buffer.concat([sizeBytes, body]);
}
