import { holdAccount, waitForKeyState } from '@exactly/testkit';
import { postMessage, startTestServer, storedFor } from './testing/startTestServer.js';

describe('more create requests in flight than ADMISSION_LIMIT', () => {
  it('sheds the excess with 503 overloaded and Retry-After before storing anything, and admits it again once there is room', async () => {
    const api = await startTestServer({ ADMISSION_LIMIT: '2' }, { listen: true });
    try {
      const who = await api.newAccount();
      // Every write of the account waits for this lock: the first two requests stay in flight.
      const hold = await holdAccount(who.accountId);
      const first = [postMessage(api, who, 'k-1'), postMessage(api, who, 'k-2')];
      // Both admitted: their keys read in progress (a read is not a create, so it is not shed).
      for (const key of ['k-1', 'k-2']) await waitForKeyState(api.url, who.apiKey, key, 'in_progress');
      const shed = await postMessage(api, who, 'k-3');
      const reads = await fetch(`${api.url}/v1/messages`, {
        headers: { authorization: `Bearer ${who.apiKey}` },
      });
      await hold.release();
      const admitted = await Promise.all(first);

      expect(shed.status).toBe(503);
      expect(shed.json.code).toBe('overloaded');
      expect(shed.headers.get('retry-after')).toBe('1');
      expect(reads.status).toBe(200);
      expect(admitted.map((answer) => answer.status)).toEqual([202, 202]);
      const stored = await storedFor(api.orm, who.accountId);
      expect(stored.records.map((record) => record.idempotency_key).sort()).toEqual(['k-1', 'k-2']);

      const retried = await postMessage(api, who, 'k-3');
      expect(retried.status).toBe(202);
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      expect(metrics).toMatch(/exactly_ingest_shed_total\S* 1\b/);
    } finally {
      await api.close();
    }
  });

  it('is off with ADMISSION_LIMIT=0', async () => {
    const api = await startTestServer({ ADMISSION_LIMIT: '0' }, { listen: true });
    try {
      const who = await api.newAccount();
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postMessage(api, who, `k-${i}`)),
      );
      expect(answers.every((answer) => answer.status === 202)).toBe(true);
    } finally {
      await api.close();
    }
  });
});
