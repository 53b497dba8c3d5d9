export { freePort } from './freePort.js';
export { setUpTestRun } from './jestGlobalSetup.js';
export { provideInfrastructure, type TestInfrastructure, withDatabase } from './provideInfrastructure.js';
export { ServiceProcess, type ServiceProcessOptions } from './serviceProcess.js';
export { waitForHttp } from './waitForHttp.js';
