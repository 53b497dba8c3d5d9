import { metadataRequest, parseTopicId } from './fetchTopicId.js';

/** A Metadata v12 response frame (no size prefix) with one broker and the given topic entry. */
function response(topic: { errorCode: number; name: string; id: string }, taggedInHeader = false): Buffer {
  const compact = (text: string) =>
    Buffer.concat([Buffer.from([Buffer.byteLength(text) + 1]), Buffer.from(text)]);
  const int32 = (value: number) => {
    const bytes = Buffer.alloc(4);
    bytes.writeInt32BE(value);
    return bytes;
  };
  const errorCode = Buffer.alloc(2);
  errorCode.writeInt16BE(topic.errorCode);
  return Buffer.concat([
    int32(7), // correlation id
    taggedInHeader ? Buffer.from([1, 0, 2, 0xab, 0xcd]) : Buffer.from([0]),
    int32(0), // throttle
    Buffer.from([2]), // one broker
    int32(1),
    compact('kafka-1.internal'),
    int32(9092),
    Buffer.from([0]), // rack: null
    Buffer.from([0]),
    compact('cluster-id'),
    int32(1), // controller
    Buffer.from([2]), // one topic
    errorCode,
    compact(topic.name),
    Buffer.from(topic.id.replaceAll('-', ''), 'hex'),
    Buffer.from([0]), // is_internal
    Buffer.from([1]), // no partitions
    int32(0),
    Buffer.from([0]),
    Buffer.from([0]),
  ]);
}

describe('reading a topic id from a Metadata v12 answer', () => {
  const id = '1ff3654a-6742-464a-bfd2-d0f2672508d9';

  it('returns the topic UUID, past brokers and tagged fields', () => {
    expect(parseTopicId(response({ errorCode: 0, name: 'commands', id }), 'commands')).toBe(id);
    expect(parseTopicId(response({ errorCode: 0, name: 'commands', id }, true), 'commands')).toBe(id);
  });

  it('fails for a topic the broker does not know, or answered for another name', () => {
    expect(() => parseTopicId(response({ errorCode: 3, name: 'commands', id }), 'commands')).toThrow(
      /error code 3/,
    );
    expect(() => parseTopicId(response({ errorCode: 0, name: 'other', id }), 'commands')).toThrow(
      /not commands/,
    );
  });

  it('fails when the broker gives no id (all zeros)', () => {
    const zero = '00000000-0000-0000-0000-000000000000';
    expect(() => parseTopicId(response({ errorCode: 0, name: 'commands', id: zero }), 'commands')).toThrow(
      /no id/,
    );
  });
});

describe('the Metadata v12 request', () => {
  it('asks for one topic by name, with its size prefix, api key 3 and version 12', () => {
    const request = metadataRequest('commands', 5);
    expect(request.readInt32BE(0)).toBe(request.length - 4);
    expect(request.readInt16BE(4)).toBe(3);
    expect(request.readInt16BE(6)).toBe(12);
    expect(request.readInt32BE(8)).toBe(5);
    expect(request.includes(Buffer.from('commands'))).toBe(true);
  });
});
