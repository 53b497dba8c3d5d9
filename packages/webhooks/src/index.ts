export { signWebhook, type WebhookHeaders } from './signWebhook.js';
export {
  type ClaimedDelivery,
  claimWebhookDeliveries,
  type DeliverableEvent,
  type DeliveryOutcome,
  listWebhookDeliveries,
  queueWebhookDeliveries,
  recordWebhookDeliveryOutcome,
  replayWebhookDeliveries,
  type WebhookDeliveryView,
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
  type WebhookEndpoint,
  type WebhookEndpointChange,
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
