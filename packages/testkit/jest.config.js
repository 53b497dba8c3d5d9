import base from '../../jest.config.base.js';

export default {
  ...base,
  globalSetup: '<rootDir>/dist/jestGlobalSetup.js',
  globalTeardown: '<rootDir>/dist/jestGlobalTeardown.js',
};
