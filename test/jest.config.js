import base from '../jest.config.base.js';

// Suites across services. Benchmarks (bench/) are not tests: `node bench/<name>.ts` runs one;
// only the unit tests of their pure helpers (bench/**/*.unit.test.ts) run here.
export default {
  ...base,
  // `npm run test:faults` (EXACTLY_FAULTS=full, or scenario names) runs the fault suite alone.
  testMatch: process.env.EXACTLY_FAULTS
    ? ['<rootDir>/faults/**/*.test.ts']
    : ['<rootDir>/{docs,e2e,conformance,faults,protocol}/**/*.test.ts', '<rootDir>/bench/**/*.unit.test.ts'],
  globalSetup: '<rootDir>/jest.globalSetup.js',
  globalTeardown: '@exactly/testkit/jestGlobalTeardown',
};
