export { readConfig } from './readConfig.js';
export {
  duration,
  flag,
  kafkaBrokers,
  otelSettings,
  port,
  positiveInt,
  postgresUrl,
  preparedStatements,
} from './schemas.js';
export { type FieldError, validated } from './validated.js';
