import { createAccount, IngestApi } from '@exactly/testkit';
import { exactly } from '../testing/runExactly.js';

// `exactly send` twice with one key against an ingest API under each profile: the CLI sends
// through the SDK, which follows the header the server names and unwraps its envelope.
describe.each(['default', 'pulsewave', 'txtly', 'getmailer', 'truedy'])(
  'exactly send under the %s profile',
  (profile) => {
    it('sends once and replays the second time with the same --idempotency-key', async () => {
      const api = await IngestApi.start(profile);
      try {
        const who = await createAccount(`cli-${profile}-${Date.now()}`);
        const args = [
          'send',
          ...['--channel', 'sms', '--to', '+15551230001', '--from', 'Acme', '--text', 'hi'],
          ...['--idempotency-key', 'k-1', '--api-key', who.apiKey, '--json'],
        ];
        const env = { EXACTLY_API_URL: api.url };
        const first = await exactly(args, env);
        const again = await exactly(args, env);
        expect(first).toMatchObject({
          code: 0,
          json: { messageId: expect.stringMatching(/^msg_/), status: 'accepted', replayed: false },
        });
        expect(again).toMatchObject({ code: 0, json: { messageId: first.json.messageId, replayed: true } });
        expect(await api.messages(who)).toHaveLength(1);
      } finally {
        await api.stop();
      }
    });
  },
);
