import base from '../../jest.config.base.js';

export default {
  ...base,
  globalSetup: '<rootDir>/jest.globalSetup.js',
  globalTeardown: '@exactly/testkit/jestGlobalTeardown',
};
