import { createAccount, IngestApi } from '@exactly/testkit';
import { exactly } from '../testing/runExactly.js';

// `exactly send --at`, then `exactly messages reschedule|cancel`, against a real ingest API.
describe('exactly messages, for a send scheduled with exactly send --at', () => {
  it('reschedules and cancels it; a reschedule after the cancel exits 3 with the API’s reason', async () => {
    const api = await IngestApi.start('txtly');
    try {
      const who = await createAccount(`cli-scheduled-${Date.now()}`);
      const env = { EXACTLY_API_URL: api.url, EXACTLY_API_KEY: who.apiKey };
      const sent = await exactly(
        [
          'send',
          '--channel',
          'sms',
          '--to',
          '+15551230001',
          '--from',
          'Acme',
          '--text',
          'later',
          '--at',
          '+2h',
          '--json',
        ],
        env,
      );
      expect(sent).toMatchObject({ code: 0, json: { status: 'scheduled', sendAt: expect.any(String) } });
      const id = sent.json.messageId as string;
      const at = new Date(Date.now() + 3 * 3_600_000).toISOString();
      const moved = await exactly(
        ['messages', 'reschedule', id, '--at', at, '--idempotency-key', 'r-1', '--json'],
        env,
      );
      expect(moved).toMatchObject({ code: 0, json: { id, status: 'scheduled', sendAt: at } });
      const tooLate = await exactly(['messages', 'reschedule', id, '--at', '+40d'], env);
      expect(tooLate.code).toBe(2);
      expect(tooLate.stderr).toContain('30 days');
      const tooFar = await exactly(['messages', 'reschedule', id, '--at', 'tomorrow'], env);
      expect(tooFar.code).toBe(2);
      const cancelled = await exactly(['messages', 'cancel', id, '--idempotency-key', 'c-1', '--json'], env);
      expect(cancelled).toMatchObject({ code: 0, json: { id, status: 'cancelled' } });
      const again = await exactly(['messages', 'cancel', id, '--idempotency-key', 'c-1', '--json'], env);
      expect(again).toMatchObject({ code: 0, json: { replayed: true } });
      const late = await exactly(['messages', 'reschedule', id, '--at', '+1h'], env);
      expect(late.code).toBe(3);
      expect(late.stderr).toContain('cancelled');
      const status = await exactly(['status', id, '--wait', '--json'], env);
      expect(status).toMatchObject({ code: 0, json: { status: 'cancelled' } });
    } finally {
      await api.stop();
    }
  });
});
