import type { WebhookEndpoint } from '@exactly/contracts';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { dateTime } from '../format.js';

/**
 * Each webhook endpoint's health, read again with every snapshot: when it last succeeded and
 * failed, how many attempts in a row failed, and whether it is disabled (and why). Replaying or
 * enabling one is the account's call: `exactly webhooks replay|enable <id>`.
 */
export function WebhookEndpoints({
  refreshAt,
  onFailure,
}: {
  refreshAt: string;
  onFailure(error: unknown): void;
}) {
  const [endpoints, setEndpoints] = useState<WebhookEndpoint[] | undefined>();
  useEffect(() => {
    api
      .webhookEndpoints()
      .then((answer) => setEndpoints(answer.data))
      .catch(onFailure);
  }, [refreshAt]);
  if (endpoints === undefined) return <p class="muted">Loading…</p>;
  if (endpoints.length === 0) return <p class="muted">No webhook endpoints.</p>;
  return (
    <div class="scroll">
      <table class="webhooks" data-testid="webhook-endpoints">
        <thead>
          <tr>
            <th>Endpoint</th>
            <th>Account</th>
            <th>URL</th>
            <th>State</th>
            <th>Last success</th>
            <th>Last failure</th>
            <th>Failing streak</th>
          </tr>
        </thead>
        <tbody>
          {endpoints.map((endpoint) => (
            <tr
              key={endpoint.id}
              class={endpoint.disabled ? 'bad' : endpoint.health.failingStreak > 0 ? 'warn' : ''}
            >
              <td>{endpoint.id}</td>
              <td>{endpoint.accountId}</td>
              <td>{endpoint.url}</td>
              <td>{endpoint.disabled ? `disabled: ${endpoint.disabledReason ?? ''}` : 'enabled'}</td>
              <td>{endpoint.health.lastSuccessAt ? dateTime(endpoint.health.lastSuccessAt) : '–'}</td>
              <td title={endpoint.health.lastError ?? ''}>
                {endpoint.health.lastFailureAt ? dateTime(endpoint.health.lastFailureAt) : '–'}
              </td>
              <td>{endpoint.health.failingStreak}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
