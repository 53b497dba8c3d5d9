export { serviceEntry } from '@exactly/infra';
export { createTestTopics } from './createTestTopics.js';
export { type Decider, deciderSpec } from './deciderSpec.js';
export { eventually } from './eventually.js';
export {
  type FailureMode,
  FakeProvider,
  type FakeProviderOptions,
  type ProviderCall,
} from './fakeProvider.js';
export { freePort } from './freePort.js';
export { type Answer, type Caller, createAccount, createKey, holdAccount, IngestApi } from './ingestApi.js';
export { setUpTestRun } from './jestGlobalSetup.js';
export { type MetricsSource, metricValue } from './metricValue.js';
export { Member, type MemberKind, Pipeline, type PipelineOptions } from './pipeline.js';
export { provideInfrastructure, type TestInfrastructure, withDatabase } from './provideInfrastructure.js';
export { ServiceProcess, type ServiceProcessOptions } from './serviceProcess.js';
export { RunningService, type StartServiceOptions, startService } from './startService.js';
export { type ProxyMode, TcpProxy } from './tcpProxy.js';
export { waitForHttp } from './waitForHttp.js';
export { type KeyStateName, waitForKeyState } from './waitForKeyState.js';
