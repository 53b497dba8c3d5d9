import { createHash } from 'node:crypto';
import type { WebhookDelivery } from '@exactly/contracts';
import { inTransaction, type Orm, runSql, type SqlStatement } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordWebhookEndpointEvent } from './webhookEndpoints.js';

/** One event of a message's stream, as read from the message-events topic. */
export interface DeliverableEvent {
  accountId: string;
  streamId: string;
  version: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
  /** The W3C trace context the event carried: its deliveries' spans join the command's trace. */
  traceparent?: string;
}

/** The delivery's id, its `webhook-id`: derived from (endpoint, event), so it never changes. */
export function webhookDeliveryId(endpointId: string, streamId: string, version: number): string {
  const digest = createHash('sha256').update(`${endpointId}\n${streamId}\n${version}`).digest('hex');
  return `whd_${digest.slice(0, 32)}`;
}

/** The body sent: Standard Webhooks' `{ type, timestamp, data }`. */
export function webhookPayload(event: DeliverableEvent): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.at,
    data: { messageId: event.streamId, accountId: event.accountId, version: event.version, ...event.data },
  });
}

/**
 * SQL that is true when no enabled endpoint belongs to any of the events' accounts: such events
 * queue no delivery, whatever their types, so a consumer can pass over them without a transaction.
 */
export function noEndpointForEvents(events: readonly DeliverableEvent[]): SqlStatement {
  return {
    text: `NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE account_id = ANY($1::text[]) AND disabled_at IS NULL)`,
    parameters: [accountsOf(events)],
  };
}

const accountsOf = (events: readonly DeliverableEvent[]) => [
  ...new Set(events.map((event) => event.accountId)),
];

/**
 * Queues one delivery per (event, enabled endpoint of its account whose filter takes the type),
 * in the caller's transaction. ON CONFLICT DO NOTHING on (endpoint, stream, version) is the
 * inbox: an event record seen again (redelivery, rebalance, topic replay) queues nothing.
 * Returns how many deliveries are new.
 */
export async function queueWebhookDeliveries(
  tx: EntityManager,
  events: readonly DeliverableEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const { rows: endpoints } = await runSql<{ id: string; account_id: string; event_types: string[] | null }>(
    tx,
    `SELECT id, account_id, event_types FROM webhook_endpoints
      WHERE account_id = ANY($1::text[]) AND disabled_at IS NULL`,
    [accountsOf(events)],
  );
  if (endpoints.length === 0) return 0;
  const rows: { id: string; endpointId: string; event: DeliverableEvent }[] = [];
  for (const event of events) {
    for (const endpoint of endpoints) {
      if (endpoint.account_id !== event.accountId) continue;
      if (endpoint.event_types !== null && !endpoint.event_types.includes(event.type)) continue;
      rows.push({
        id: webhookDeliveryId(endpoint.id, event.streamId, event.version),
        endpointId: endpoint.id,
        event,
      });
    }
  }
  if (rows.length === 0) return 0;
  const { rowCount } = await runSql(
    tx,
    `INSERT INTO webhook_deliveries (id, endpoint_id, stream_id, version, event_type, payload, occurred_at, traceparent)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::timestamptz[],
                          $8::text[])
     ON CONFLICT DO NOTHING`,
    [
      rows.map((row) => row.id),
      rows.map((row) => row.endpointId),
      rows.map((row) => row.event.streamId),
      rows.map((row) => row.event.version),
      rows.map((row) => row.event.type),
      rows.map((row) => webhookPayload(row.event)),
      rows.map((row) => row.event.at),
      rows.map((row) => row.event.traceparent ?? null),
    ],
  );
  return rowCount;
}

/** A delivery claimed for one attempt, with what signing and sending it needs. */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  url: string;
  payload: string;
  /** The secrets to sign with: the current one, and the previous during a rotation's overlap. */
  secrets: string[];
  attempt: number;
  retryFrom: Date;
  /** The event's trace context, when it carried one. */
  traceparent: string | undefined;
}

/**
 * Claims up to `limit` due deliveries of enabled endpoints for `leaseMs` (SKIP LOCKED: many
 * dispatchers share the work). A claim whose process died is claimed again when its lease ends,
 * with the same webhook-id.
 */
export async function claimWebhookDeliveries(
  em: EntityManager,
  limit: number,
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  const { rows } = await runSql<{
    id: string;
    endpoint_id: string;
    url: string;
    payload: string;
    secret: string;
    previous_secret: string | null;
    attempts: number;
    retry_from: Date;
    traceparent: string | null;
  }>(
    em,
    `WITH due AS (
       SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
        WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND e.disabled_at IS NULL
          AND (d.lease_until IS NULL OR d.lease_until < now())
        ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED)
     UPDATE webhook_deliveries d
        SET attempts = d.attempts + 1,
            lease_until = now() + make_interval(secs => $2::double precision / 1000)
       FROM due, webhook_endpoints e
      WHERE d.id = due.id AND e.id = d.endpoint_id
      RETURNING d.id, d.endpoint_id, e.url, d.payload, e.secret,
                CASE WHEN e.previous_secret_until > now() THEN e.previous_secret END AS previous_secret,
                d.attempts, d.retry_from, d.traceparent`,
    [limit, leaseMs],
  );
  return rows.map((row) => ({
    id: row.id,
    endpointId: row.endpoint_id,
    url: row.url,
    payload: row.payload,
    secrets: row.previous_secret === null ? [row.secret] : [row.secret, row.previous_secret],
    attempt: row.attempts,
    retryFrom: new Date(row.retry_from),
    traceparent: row.traceparent ?? undefined,
  }));
}

export type DeliveryOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status?: number; error: string; retryInMs: number }
  /** The retry period is over: the delivery fails and its endpoint is disabled. */
  | { kind: 'give_up'; status?: number; error: string };

/**
 * Records an attempt's outcome on the delivery and the endpoint's health in one transaction.
 * Giving up disables the endpoint (once) and records a `WebhookEndpointDisabled` event. A replay
 * (or an enable) asked for while the attempt was under way restarted the delivery's retry period:
 * the outcome then only releases the lease, and the delivery goes out again at once.
 */
export async function recordWebhookDeliveryOutcome(
  orm: Orm,
  delivery: ClaimedDelivery,
  outcome: DeliveryOutcome,
): Promise<void> {
  await inTransaction(orm, async (tx) => {
    const status = outcome.kind === 'delivered' ? outcome.status : (outcome.status ?? null);
    const error = outcome.kind === 'delivered' ? null : outcome.error.slice(0, 500);
    const { rowCount } = await runSql(
      tx,
      `UPDATE webhook_deliveries
          SET state = $2, last_status = $3, last_error = $4, lease_until = NULL,
              delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END,
              next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
        WHERE id = $1 AND state = 'pending' AND attempts = $6
          AND date_trunc('milliseconds', retry_from) = $7::timestamptz`,
      [
        delivery.id,
        outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'retry' ? 'pending' : 'failed',
        status,
        error,
        outcome.kind === 'retry' ? outcome.retryInMs : 0,
        delivery.attempt,
        // As the claim read it (a Date keeps milliseconds).
        delivery.retryFrom.toISOString(),
      ],
    );
    if (rowCount === 0) {
      // Replayed meanwhile: this attempt is over, so the replay need not wait out its lease.
      // Otherwise another claim took over (this one outlived its lease): its outcome counts.
      await runSql(
        tx,
        `UPDATE webhook_deliveries SET lease_until = NULL
          WHERE id = $1 AND state = 'pending' AND attempts = $2`,
        [delivery.id, delivery.attempt],
      );
      return;
    }
    if (outcome.kind === 'delivered') {
      await runSql(
        tx,
        `UPDATE webhook_endpoints SET last_success_at = now(), failing_streak = 0, last_error = NULL
          WHERE id = $1`,
        [delivery.endpointId],
      );
      return;
    }
    await runSql(
      tx,
      `UPDATE webhook_endpoints SET last_failure_at = now(), failing_streak = failing_streak + 1, last_error = $2
        WHERE id = $1`,
      [delivery.endpointId, error],
    );
    if (outcome.kind !== 'give_up') return;
    const reason = `delivery ${delivery.id} failed for the whole retry period (last: ${error})`;
    const { rowCount: disabled } = await runSql(
      tx,
      `UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $2, updated_at = now()
        WHERE id = $1 AND disabled_at IS NULL`,
      [delivery.endpointId, reason],
    );
    if (disabled > 0) {
      await recordWebhookEndpointEvent(tx, delivery.endpointId, 'WebhookEndpointDisabled', {
        reason,
        by: 'delivery',
        deliveryId: delivery.id,
      });
    }
  });
}

/**
 * Sends the endpoint's deliveries of events at or after `since` again, with the same
 * webhook-ids: each is pending again with a fresh retry period. Returns how many.
 */
export async function replayWebhookDeliveries(orm: Orm, endpointId: string, since: Date): Promise<number> {
  return inTransaction(orm, async (tx) => {
    // The lease stays: an attempt under way now is not sent a second time beside it.
    const { rowCount } = await runSql(
      tx,
      `UPDATE webhook_deliveries
          SET state = 'pending', next_attempt_at = now(), retry_from = now()
        WHERE endpoint_id = $1 AND occurred_at >= $2`,
      [endpointId, since.toISOString()],
    );
    await recordWebhookEndpointEvent(tx, endpointId, 'WebhookReplayRequested', {
      since: since.toISOString(),
      deliveries: rowCount,
    });
    return rowCount;
  });
}

/** The endpoint's latest deliveries, newest event first. */
export async function listWebhookDeliveries(
  em: EntityManager,
  endpointId: string,
  limit = 50,
): Promise<WebhookDelivery[]> {
  const { rows } = await runSql<{
    id: string;
    event_type: string;
    stream_id: string;
    version: number;
    occurred_at: Date;
    state: WebhookDelivery['state'];
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    delivered_at: Date | null;
  }>(
    em,
    `SELECT id, event_type, stream_id, version, occurred_at, state, attempts, last_status, last_error, delivered_at
       FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY occurred_at DESC, id LIMIT $2`,
    [endpointId, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    eventType: row.event_type,
    messageId: row.stream_id,
    version: row.version,
    occurredAt: new Date(row.occurred_at).toISOString(),
    state: row.state,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    deliveredAt: row.delivered_at === null ? null : new Date(row.delivered_at).toISOString(),
  }));
}
