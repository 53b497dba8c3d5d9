import base from '../../jest.config.base.js';

export default {
  ...base,
  // One file at a time: every dispatcher's effect executor works the one effects table of the
  // run's database, so two files' dispatchers would take each other's effects.
  maxWorkers: 1,
  globalSetup: '<rootDir>/jest.globalSetup.js',
  globalTeardown: '@exactly/testkit/jestGlobalTeardown',
};
