export { createTestTopics } from './createTestTopics.js';
export { type Decider, deciderSpec } from './deciderSpec.js';
export {
  type FailureMode,
  FakeProvider,
  type FakeProviderOptions,
  type ProviderCall,
} from './fakeProvider.js';
export { freePort } from './freePort.js';
export { type Answer, type Caller, createAccount, createKey, holdAccount, IngestApi } from './ingestApi.js';
export { setUpTestRun } from './jestGlobalSetup.js';
export { provideInfrastructure, type TestInfrastructure, withDatabase } from './provideInfrastructure.js';
export { ServiceProcess, type ServiceProcessOptions } from './serviceProcess.js';
export { type ProxyMode, TcpProxy } from './tcpProxy.js';
export { waitForHttp } from './waitForHttp.js';
