export { setUpTestRun } from './jestGlobalSetup.js';
export { provideInfrastructure, type TestInfrastructure, withDatabase } from './provideInfrastructure.js';
