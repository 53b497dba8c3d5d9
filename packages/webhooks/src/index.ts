export { countRetryingWebhookDeliveries } from './countRetryingWebhookDeliveries.js';
export { signWebhook, type WebhookHeaders } from './signWebhook.js';
export {
  type ClaimedDelivery,
  claimWebhookDeliveries,
  type DeliverableEvent,
  type DeliveryOutcome,
  listWebhookDeliveries,
  noEndpointForEvents,
  queueWebhookDeliveries,
  recordWebhookDeliveryOutcome,
  replayWebhookDeliveries,
  webhookDeliveryId,
  webhookPayload,
} from './webhookDeliveries.js';
export {
  existingWebhookEndpointIds,
  findWebhookEndpoint,
  insertWebhookEndpoints,
  listAllWebhookEndpoints,
  listWebhookEndpoints,
  type NewWebhookEndpoint,
  readWebhookEndpointEvents,
  rotateWebhookSecret,
  setWebhookEndpointDisabled,
  updateWebhookEndpoint,
  type WebhookEndpointEvent,
} from './webhookEndpoints.js';
export { newWebhookSecret } from './webhookSecret.js';
export {
  checkWebhookUrl,
  guardedLookup,
  hostOf,
  isRefusedAddress,
  parseWebhookUrl,
  type WebhookUrlPolicy,
} from './webhookUrlPolicy.js';
