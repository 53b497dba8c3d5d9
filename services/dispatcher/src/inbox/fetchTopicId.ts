import { connect } from 'node:net';

const metadataApiKey = 3;
/** Metadata v12: the first version Kafka 4 serves whose topics carry their id (v10+) by name. */
const metadataVersion = 12;
const zeroUuid = '00000000-0000-0000-0000-000000000000';

/**
 * The topic's id (the UUID Kafka gives a topic when it is created, a new one when a topic of the
 * same name is created again), asked of one broker with a single Metadata v12 request. kafkajs
 * 2.2.4 speaks Metadata up to v6, which has no topic ids, so this is one request by hand.
 */
export async function fetchTopicId(
  broker: { host: string; port: number },
  topic: string,
  timeoutMs = 10_000,
): Promise<string> {
  const response = await roundTrip(broker, metadataRequest(topic), timeoutMs);
  return parseTopicId(response, topic);
}

/** A request frame: size, header v2 (flexible), body. */
export function metadataRequest(topic: string, correlationId = 1): Buffer {
  const clientId = Buffer.from('exactly-dispatcher');
  const name = Buffer.from(topic);
  const header = Buffer.alloc(10);
  header.writeInt16BE(metadataApiKey, 0);
  header.writeInt16BE(metadataVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const body = Buffer.concat([
    header,
    clientId,
    uvarint(0), // header tagged fields
    uvarint(2), // topics: one (compact array, length + 1)
    Buffer.alloc(16), // topic_id: zero, asked by name
    uvarint(name.length + 1),
    name,
    uvarint(0), // topic tagged fields
    Buffer.from([0, 0]), // allow_auto_topic_creation, include_topic_authorized_operations
    uvarint(0), // tagged fields
  ]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Reads the topic id out of a Metadata v12 response frame (without its size prefix). */
export function parseTopicId(frame: Buffer, topic: string): string {
  const reader = new Reader(frame);
  reader.skip(4); // correlation id
  reader.skipTaggedFields();
  reader.skip(4); // throttle_time_ms
  const brokers = reader.uvarint() - 1;
  for (let i = 0; i < brokers; i++) {
    reader.skip(4); // node_id
    reader.compactString(); // host
    reader.skip(4); // port
    reader.compactString(); // rack
    reader.skipTaggedFields();
  }
  reader.compactString(); // cluster_id
  reader.skip(4); // controller_id
  const topics = reader.uvarint() - 1;
  if (topics < 1) throw new Error(`no metadata for topic ${topic}`);
  const errorCode = reader.int16();
  const name = reader.compactString();
  const id = reader.uuid();
  if (errorCode !== 0) throw new Error(`metadata of topic ${topic} failed with error code ${errorCode}`);
  if (name !== topic) throw new Error(`metadata answered for topic ${name}, not ${topic}`);
  if (id === zeroUuid) throw new Error(`the broker has no id for topic ${topic}`);
  return id;
}

function roundTrip(broker: { host: string; port: number }, request: Buffer, timeoutMs: number) {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = connect(broker);
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(new Error(`no metadata answer from ${broker.host}:${broker.port}`)),
    );
    socket.on('error', fail);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        socket.destroy();
        resolve(received.subarray(4, 4 + received.readInt32BE(0)));
      }
    });
    socket.on('close', () => reject(new Error('the broker closed the connection before answering')));
  });
}

function uvarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

class Reader {
  private readonly buffer: Buffer;
  private offset = 0;

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  skip(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) throw new Error('metadata response is truncated');
    this.offset += bytes;
  }

  int16(): number {
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.buffer[this.offset++];
      if (byte === undefined) throw new Error('metadata response is truncated');
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  compactString(): string | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.skip(length);
    return value;
  }

  uuid(): string {
    const hex = this.buffer.toString('hex', this.offset, this.offset + 16);
    this.skip(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.skip(this.uvarint());
    }
  }
}
