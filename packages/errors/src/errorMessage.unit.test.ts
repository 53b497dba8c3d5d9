import { errorMessage } from './errorMessage.js';

describe('what a thrown value says', () => {
  it("is an Error's message, and anything else as text", () => {
    expect(errorMessage(new TypeError('value too long'))).toBe('value too long');
    expect(errorMessage('disk full')).toBe('disk full');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
