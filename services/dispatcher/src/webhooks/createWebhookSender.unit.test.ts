import type { ClaimedDelivery } from '@exactly/webhooks';
import { outcomeOf } from './createWebhookSender.js';

const policy = { retryBaseDelayMs: 1_000, retryMaxDelayMs: 60_000, retryPeriodMs: 3_600_000 };
const retryFrom = new Date('2026-12-04T10:00:00Z');
const delivery = (attempt: number): ClaimedDelivery => ({
  id: 'whd_1',
  endpointId: 'whe_1',
  url: 'https://example.com/hook',
  payload: '{}',
  secrets: ['whsec_x'],
  attempt,
  retryFrom,
  traceparent: undefined,
});

describe("an attempt's outcome", () => {
  it('is delivered on any 2xx', () => {
    expect(outcomeOf({ status: 204 }, delivery(1), policy, retryFrom)).toEqual({
      kind: 'delivered',
      status: 204,
    });
  });

  it('is another try, later each time, on a 5xx, a 4xx or no answer within the period', () => {
    const first = outcomeOf({ status: 500 }, delivery(1), policy, retryFrom);
    const later = outcomeOf({ error: 'ECONNREFUSED' }, delivery(5), policy, retryFrom);
    expect(first).toMatchObject({ kind: 'retry', status: 500, error: 'HTTP 500' });
    expect(later).toMatchObject({ kind: 'retry', error: 'ECONNREFUSED' });
    if (first.kind === 'retry' && later.kind === 'retry') {
      expect(first.retryInMs).toBeLessThanOrEqual(1_000);
      expect(later.retryInMs).toBeGreaterThanOrEqual(8_000);
    }
    expect(outcomeOf({ status: 410 }, delivery(2), policy, retryFrom)).toMatchObject({ kind: 'retry' });
  });

  it('gives up once the next try would fall after the retry period', () => {
    const late = new Date(retryFrom.getTime() + 3_600_000);
    expect(outcomeOf({ status: 503 }, delivery(9), policy, late)).toEqual({
      kind: 'give_up',
      status: 503,
      error: 'HTTP 503',
    });
  });
});
