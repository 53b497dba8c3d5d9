import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { requestFingerprint } from './requestFingerprint.js';

describe('the fingerprint of a request', () => {
  it('is the SHA-256 of method, route and canonical JSON body', () => {
    const expected = createHash('sha256').update('POST\n/v1/messages\n{"a":[true,null],"b":1}').digest();
    const fingerprint = requestFingerprint('POST', '/v1/messages', { b: 1, a: [true, null] });
    expect(fingerprint).toEqual(expected);
    expect(fingerprint).toEqual(
      requestFingerprint('post', '/v1/messages', JSON.parse('{ "a": [true, null], "b": 1.0 }')),
    );
  });

  it('does not change with key order or whitespace', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        const reparsed = JSON.parse(JSON.stringify(reversed, null, 3));
        return requestFingerprint('POST', '/r', object).equals(requestFingerprint('POST', '/r', reparsed));
      }),
    );
  });

  it('changes with any value, the route or the method', () => {
    const base = requestFingerprint('POST', '/v1/messages', { to: 'a@example.com' });
    expect(requestFingerprint('POST', '/v1/messages', { to: 'b@example.com' })).not.toEqual(base);
    expect(requestFingerprint('POST', '/v1/messages/batch', { to: 'a@example.com' })).not.toEqual(base);
    expect(requestFingerprint('PUT', '/v1/messages', { to: 'a@example.com' })).not.toEqual(base);
    expect(requestFingerprint('POST', '/v1/messages', undefined)).toEqual(
      requestFingerprint('POST', '/v1/messages', null),
    );
  });
});
