import type { UpdateWebhookEndpoint, WebhookEndpoint } from '@exactly/contracts';
import { inTransaction, type Orm, runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface NewWebhookEndpoint {
  id: string;
  accountId: string;
  url: string;
  description: string | null;
  eventTypes: string[] | null;
  secret: string;
}

interface EndpointRow {
  id: string;
  account_id: string;
  url: string;
  description: string | null;
  event_types: string[] | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  last_error: string | null;
  failing_streak: number;
  created_at: Date;
  updated_at: Date;
}

const columns = `id, account_id, url, description, event_types, disabled_at, disabled_reason,
  last_success_at, last_failure_at, last_error, failing_streak, created_at, updated_at`;

const iso = (at: Date | null) => (at === null ? null : new Date(at).toISOString());

function endpointOf(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    accountId: row.account_id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    disabled: row.disabled_at !== null,
    disabledAt: iso(row.disabled_at),
    disabledReason: row.disabled_reason,
    health: {
      lastSuccessAt: iso(row.last_success_at),
      lastFailureAt: iso(row.last_failure_at),
      lastError: row.last_error,
      failingStreak: row.failing_streak,
    },
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Inserts new endpoints in the caller's transaction (the idempotent create's effect). */
export async function insertWebhookEndpoints(
  tx: EntityManager,
  endpoints: readonly NewWebhookEndpoint[],
): Promise<void> {
  if (endpoints.length === 0) return;
  await runSql(
    tx,
    `INSERT INTO webhook_endpoints (id, account_id, url, description, event_types, secret)
     SELECT e->>'id', e->>'accountId', e->>'url', e->>'description',
            CASE WHEN e->'eventTypes' = 'null'::jsonb THEN NULL
                 ELSE ARRAY(SELECT jsonb_array_elements_text(e->'eventTypes')) END,
            e->>'secret'
       FROM jsonb_array_elements($1::jsonb) AS e`,
    [JSON.stringify(endpoints)],
  );
}

/** Which of these ids exist (to tell whether a create's transaction committed). */
export async function existingWebhookEndpointIds(
  tx: EntityManager,
  ids: readonly string[],
): Promise<Set<string>> {
  const { rows } = await runSql<{ id: string }>(
    tx,
    'SELECT id FROM webhook_endpoints WHERE id = ANY($1::text[])',
    [ids],
  );
  return new Set(rows.map((row) => row.id));
}

/** The account's endpoint, or undefined (another account's is as absent as a missing one). */
export async function findWebhookEndpoint(
  em: EntityManager,
  accountId: string,
  id: string,
): Promise<WebhookEndpoint | undefined> {
  const { rows } = await runSql<EndpointRow>(
    em,
    `SELECT ${columns} FROM webhook_endpoints WHERE account_id = $1 AND id = $2`,
    [accountId, id],
  );
  return rows[0] === undefined ? undefined : endpointOf(rows[0]);
}

/** The account's endpoints, oldest first (ids are time-ordered). */
export async function listWebhookEndpoints(em: EntityManager, accountId: string): Promise<WebhookEndpoint[]> {
  const { rows } = await runSql<EndpointRow>(
    em,
    `SELECT ${columns} FROM webhook_endpoints WHERE account_id = $1 ORDER BY id LIMIT 1000`,
    [accountId],
  );
  return rows.map(endpointOf);
}

/** Every endpoint with its account, for the operator's console. */
export async function listAllWebhookEndpoints(em: EntityManager, limit = 500): Promise<WebhookEndpoint[]> {
  const { rows } = await runSql<EndpointRow>(
    em,
    `SELECT ${columns} FROM webhook_endpoints ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return rows.map(endpointOf);
}

/** Changes the url, description or event filter; undefined when there is no such endpoint. */
export async function updateWebhookEndpoint(
  em: EntityManager,
  accountId: string,
  id: string,
  change: UpdateWebhookEndpoint,
): Promise<WebhookEndpoint | undefined> {
  const { rows } = await runSql<EndpointRow>(
    em,
    `UPDATE webhook_endpoints
        SET url = CASE WHEN $3 THEN $4 ELSE url END,
            description = CASE WHEN $5 THEN $6 ELSE description END,
            event_types = CASE WHEN $7 THEN $8::text[] ELSE event_types END,
            updated_at = now()
      WHERE account_id = $1 AND id = $2
      RETURNING ${columns}`,
    [
      accountId,
      id,
      change.url !== undefined,
      change.url ?? null,
      change.description !== undefined,
      change.description ?? null,
      change.eventTypes !== undefined,
      change.eventTypes ?? null,
    ],
  );
  return rows[0] === undefined ? undefined : endpointOf(rows[0]);
}

/**
 * Disables (with a reason) or enables an endpoint and records an event saying so, in one
 * transaction; enabling clears the failing streak. Undefined when there is no such endpoint.
 */
export async function setWebhookEndpointDisabled(
  orm: Orm,
  accountId: string | undefined,
  id: string,
  disabled: { reason: string; by: 'account' | 'delivery' } | false,
): Promise<WebhookEndpoint | undefined> {
  return inTransaction(orm, async (tx) => {
    const { rows } = await runSql<EndpointRow>(
      tx,
      `UPDATE webhook_endpoints
          SET disabled_at = CASE WHEN $3 THEN COALESCE(disabled_at, now()) ELSE NULL END,
              disabled_reason = CASE WHEN $3 THEN $4 ELSE NULL END,
              failing_streak = CASE WHEN $3 THEN failing_streak ELSE 0 END,
              updated_at = now()
        WHERE id = $2 AND ($1::text IS NULL OR account_id = $1)
        RETURNING ${columns}`,
      [accountId ?? null, id, disabled !== false, disabled === false ? null : disabled.reason],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    if (disabled === false) {
      // Deliveries that waited while it was disabled get a whole retry period again, from now.
      await runSql(
        tx,
        `UPDATE webhook_deliveries SET retry_from = now(), next_attempt_at = now()
          WHERE endpoint_id = $1 AND state = 'pending'`,
        [id],
      );
    }
    await recordWebhookEndpointEvent(
      tx,
      id,
      disabled === false ? 'WebhookEndpointEnabled' : 'WebhookEndpointDisabled',
      disabled === false ? {} : { reason: disabled.reason, by: disabled.by },
    );
    return endpointOf(row);
  });
}

/**
 * A new secret; the old one keeps signing (beside the new) until `overlapMs` from now, so
 * receivers can switch without dropping a delivery. Returns the new secret.
 */
export async function rotateWebhookSecret(
  orm: Orm,
  accountId: string,
  id: string,
  secret: string,
  overlapMs: number,
): Promise<{ secret: string; previousSecretUntil: string } | undefined> {
  return inTransaction(orm, async (tx) => {
    const { rows } = await runSql<{ previous_secret_until: Date }>(
      tx,
      `UPDATE webhook_endpoints
          SET previous_secret = secret, secret = $3,
              previous_secret_until = now() + make_interval(secs => $4::double precision / 1000),
              updated_at = now()
        WHERE account_id = $1 AND id = $2
        RETURNING previous_secret_until`,
      [accountId, id, secret, overlapMs],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const previousSecretUntil = new Date(row.previous_secret_until).toISOString();
    await recordWebhookEndpointEvent(tx, id, 'WebhookSecretRotated', { previousSecretUntil });
    return { secret, previousSecretUntil };
  });
}

export interface WebhookEndpointEvent {
  type: string;
  data: Record<string, unknown>;
  at: string;
}

/** Appends one of the endpoint's own events (disabled, enabled, secret rotated, replay requested). */
export async function recordWebhookEndpointEvent(
  tx: EntityManager,
  endpointId: string,
  type: string,
  data: Record<string, unknown>,
): Promise<void> {
  await runSql(
    tx,
    'INSERT INTO webhook_endpoint_events (endpoint_id, type, data) VALUES ($1, $2, $3::jsonb)',
    [endpointId, type, JSON.stringify(data)],
  );
}

/** The endpoint's latest events, newest first. */
export async function readWebhookEndpointEvents(
  em: EntityManager,
  endpointId: string,
  limit = 50,
): Promise<WebhookEndpointEvent[]> {
  const { rows } = await runSql<{ type: string; data: Record<string, unknown>; at: Date }>(
    em,
    'SELECT type, data, at FROM webhook_endpoint_events WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2',
    [endpointId, limit],
  );
  return rows.map((row) => ({ type: row.type, data: row.data, at: new Date(row.at).toISOString() }));
}
