export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export {
  type BatchResult,
  type CallOptions,
  createClient,
  type ExactlyClient,
  type ExactlyClientOptions,
  type ListOptions,
  type MessageChange,
  type MessageList,
  type SendOptions,
  type SendResult,
} from './createClient.js';
export { ExactlyApiError, ExactlyClientError, ExactlyNetworkError, type FieldError } from './errors.js';
export { backoffDelay, defaultRetryPolicy, type RetryPolicy, retryAfterDelay } from './retryPolicy.js';
export type { RetryEvent } from './transport.js';
