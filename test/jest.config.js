import base from '../jest.config.base.js';

// Suites across services. Benchmarks (bench/) are not tests: `node bench/<name>.ts` runs one.
export default {
  ...base,
  testMatch: ['<rootDir>/{e2e,conformance,faults}/**/*.test.ts'],
  globalSetup: '<rootDir>/jest.globalSetup.js',
  globalTeardown: '@exactly/testkit/jestGlobalTeardown',
};
