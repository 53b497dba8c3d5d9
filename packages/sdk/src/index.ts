export type {
  CreateWebhookEndpoint,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointHealth,
} from '@exactly/contracts';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { SendInput, TemplatedSendInput } from './createClient.js';
export {
  type AwaitOptions,
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
export type { TemplateList, TemplateResult, TemplatesApi } from './templatesClient.js';
export type { RetryEvent } from './transport.js';
export { verifyWebhook, type WebhookEvent, WebhookSignatureError } from './verifyWebhook.js';
export type { WebhookEndpointsClient } from './webhookEndpointsClient.js';
