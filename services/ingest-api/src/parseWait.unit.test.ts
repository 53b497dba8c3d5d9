import { ExactlyError } from '@exactly/errors';
import { parseWait } from './parseWait.js';

const max = 60_000;

describe('parseWait', () => {
  it('reads seconds, milliseconds, minutes and a bare number as seconds', () => {
    expect(parseWait('30s', max)).toBe(30_000);
    expect(parseWait('1500ms', max)).toBe(1_500);
    expect(parseWait('1m', max)).toBe(60_000);
    expect(parseWait('5', max)).toBe(5_000);
    expect(parseWait('0s', max)).toBe(0);
    expect(parseWait(undefined, max)).toBeUndefined();
  });

  it.each(['abc', '', '30x', '-1s', '1.5s', '30 s', '9999999999'])(
    'refuses %j with 400 naming wait',
    (value) => {
      const error = (() => {
        try {
          parseWait(value, max);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ExactlyError);
      expect((error as ExactlyError).code).toBe('invalid_request');
      expect((error as ExactlyError).details).toEqual({
        errors: [{ path: 'wait', message: expect.any(String) }],
      });
    },
  );

  it('refuses a wait over the bound, and a repeated parameter', () => {
    expect(() => parseWait('61s', max)).toThrow('at most 60s');
    expect(() => parseWait('2m', max)).toThrow('at most 60s');
    expect(() => parseWait(['1s', '2s'], max)).toThrow(ExactlyError);
  });
});
