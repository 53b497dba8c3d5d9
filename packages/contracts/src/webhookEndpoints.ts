import { z } from 'zod';

const timestamp = z.iso.datetime({ offset: true });

const EventTypes = z
  .array(z.string().regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/, 'an event type such as MessageAccepted'))
  .min(1)
  .max(50)
  .nullable();

/** `POST /v1/webhook-endpoints`: where to deliver, and which event types. */
export const CreateWebhookEndpoint = z.strictObject({
  url: z.string().max(2_048),
  description: z.string().max(500).optional(),
  /** The event types delivered (e.g. MessageAccepted, MessageFailed); omitted or null: every type. */
  eventTypes: EventTypes.optional(),
});
export type CreateWebhookEndpoint = z.infer<typeof CreateWebhookEndpoint>;

/** `PATCH /v1/webhook-endpoints/{id}`: at least one of url, description, eventTypes. */
export const UpdateWebhookEndpoint = z
  .strictObject({
    url: z.string().max(2_048).optional(),
    description: z.string().max(500).nullable().optional(),
    eventTypes: EventTypes.optional(),
  })
  .refine((change) => Object.keys(change).length > 0, 'name at least one of url, description, eventTypes');
export type UpdateWebhookEndpoint = z.infer<typeof UpdateWebhookEndpoint>;

/** How an endpoint's deliveries have gone lately. */
export const WebhookEndpointHealth = z.object({
  lastSuccessAt: timestamp.nullable(),
  lastFailureAt: timestamp.nullable(),
  lastError: z.string().nullable(),
  failingStreak: z.number().int().min(0),
});
export type WebhookEndpointHealth = z.infer<typeof WebhookEndpointHealth>;

/** An endpoint as its owner (and the operator's console) sees it: never its secrets. */
export const WebhookEndpoint = z.object({
  id: z.string(),
  accountId: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(z.string()).nullable().describe('The event types delivered; null: every type'),
  disabled: z.boolean(),
  disabledAt: timestamp.nullable(),
  disabledReason: z.string().nullable(),
  health: WebhookEndpointHealth,
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

/** One event's delivery to an endpoint, as `GET /v1/webhook-endpoints/{id}/deliveries` lists it. */
export const WebhookDelivery = z.object({
  id: z.string().describe('The webhook-id header: the same on every retry and replay'),
  eventType: z.string(),
  messageId: z.string(),
  version: z.number().int(),
  occurredAt: timestamp,
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  deliveredAt: timestamp.nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
