export { createLogger, type Logger } from './createLogger.js';
export { createMetricsRegistry } from './createMetricsRegistry.js';
export { type OpsRoutesOptions, type ReadinessCheck, registerOpsRoutes } from './opsRoutes.js';
export { type OpsServerOptions, startOpsServer } from './startOpsServer.js';
export { type StopOnSignalsOptions, stopOnSignals } from './stopOnSignals.js';
