import base from '../../jest.config.base.js';

// Unit tests of the page's pure logic; the page itself is tested in a real browser (test/e2e/dashboard.test.ts).
export default base;
