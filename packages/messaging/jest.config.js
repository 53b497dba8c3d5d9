import base from '../../jest.config.base.js';

export default {
  ...base,
  globalSetup: '@exactly/testkit/jestGlobalSetup',
  globalTeardown: '@exactly/testkit/jestGlobalTeardown',
};
