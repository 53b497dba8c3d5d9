import base from '../jest.config.base.js';

// Suites across services. Benchmarks (bench/) are not tests: `node bench/<name>.ts` runs one; the
// tools they measure with have tests of their own (bench/**/*.test.ts).
export default {
  ...base,
  // `npm run test:faults` (EXACTLY_FAULTS=full, or scenario names) runs the fault suite alone;
  // EXACTLY_FAULTS=model the model-based test alone.
  testMatch:
    process.env.EXACTLY_FAULTS === 'model'
      ? ['<rootDir>/faults/model.test.ts']
      : process.env.EXACTLY_FAULTS
        ? ['<rootDir>/faults/**/*.test.ts']
        : ['<rootDir>/{docs,e2e,conformance,faults,protocol}/**/*.test.ts', '<rootDir>/bench/**/*.test.ts'],
  globalSetup: '<rootDir>/jest.globalSetup.js',
  globalTeardown: '@exactly/testkit/jestGlobalTeardown',
};
