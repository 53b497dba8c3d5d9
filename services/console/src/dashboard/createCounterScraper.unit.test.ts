import { Counter, Registry } from 'prom-client';
import { createCounterScraper } from './createCounterScraper.js';

describe('scraping counters of several processes', () => {
  it('counts growth since the previous scrape, takes a restart as growth, and reports a source that fails', async () => {
    const registry = new Registry();
    const replays = new Counter({
      name: 'exactly_idempotency_replays_total',
      help: 'h',
      registers: [registry],
    });
    let remote = 10;
    let remoteDown = false;
    const scraper = createCounterScraper({
      counters: { replayed: { name: 'exactly_idempotency_replays_total' }, inbox: { name: 'inbox_total' } },
      registry,
      urls: ['http://dispatcher.test/metrics'],
      timeoutMs: 100,
      fetchText: async () => {
        if (remoteDown) throw new Error('connection refused');
        return `inbox_total ${remote}\n`;
      },
    });

    expect((await scraper.scrape()).deltas).toEqual({ replayed: 0, inbox: 0 });
    replays.inc(2);
    remote = 15;
    expect((await scraper.scrape()).deltas).toEqual({ replayed: 2, inbox: 5 });
    remote = 3; // the dispatcher restarted: its counter began again
    expect((await scraper.scrape()).deltas).toEqual({ replayed: 0, inbox: 3 });
    remoteDown = true;
    const down = await scraper.scrape();
    expect(down.deltas).toEqual({ replayed: 0, inbox: 0 });
    expect(down.sources).toEqual([
      { source: 'this process', ok: true, lastSuccessAt: expect.any(String) },
      {
        source: 'http://dispatcher.test/metrics',
        ok: false,
        error: 'connection refused',
        lastSuccessAt: expect.any(String),
      },
    ]);
    remoteDown = false;
    remote = 4;
    expect((await scraper.scrape()).deltas).toEqual({ replayed: 0, inbox: 1 });
  });
});
