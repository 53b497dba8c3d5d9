export { canonicalJson } from './canonicalJson.js';
export { DeadLetterRecord } from './deadLetterRecord.js';
export {
  commandSchemaVersion,
  defaultMaxMessageBytes,
  defaultTopics,
  jsonContentType,
  MessageEventRecord,
  recordHeaders,
  recordSizeBound,
  SendMessageCommand,
} from './kafkaRecords.js';
export {
  DispatchRequested,
  EventMetadata,
  MessageAccepted,
  MessageCancelled,
  MessageChanged,
  MessageEvent,
  type MessageEventOf,
  type MessageEventType,
  MessageFailed,
  MessageHeld,
  MessageRescheduled,
  MessageScheduled,
  OperatorMarkedFailed,
  OperatorMarkedSent,
  OperatorRequestedResend,
  ProviderAccepted,
  ProviderCallFailed,
  RetryScheduled,
  ScheduledSendReleased,
} from './messageEvents.js';
export {
  EndpointKeyState,
  IdempotencyKeyState,
  MessageBatchResource,
  MessageEventView,
  MessagePage,
  MessageResource,
  MessageStatus,
} from './messageResource.js';
export { MessagePatch, maxScheduleAheadMs, SendAt } from './scheduledSend.js';
export {
  Channel,
  Metadata,
  maxBatchSize,
  maxMetadataEntries,
  SendEmail,
  SendMessage,
  SendMessageBatch,
  SendSms,
  SendVoiceCall,
} from './sendMessage.js';
export { TemplateRef } from './templateRef.js';
export {
  CreateTemplate,
  CreateTemplateVersion,
  TemplateContent,
  TemplatedSend,
  TemplatePage,
  TemplateResource,
  TemplateVariable,
  TemplateVariables,
} from './templates.js';
export { storableText } from './text.js';
export {
  CreateWebhookEndpoint,
  UpdateWebhookEndpoint,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointHealth,
} from './webhookEndpoints.js';
