import pg from 'pg';
import { withDatabase } from './index.js';

describe('the infrastructure a test run gets', () => {
  it('is a database of its own, created for this run', async () => {
    const url = process.env.DATABASE_URL ?? '';
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ name: string }>('SELECT current_database() AS name');
    await client.end();
    expect(rows[0]?.name).toMatch(/^exactly_test_[0-9a-f]{12}$/);
  });

  it('names Kafka brokers as host:port', () => {
    expect((process.env.KAFKA_BROKERS ?? '').split(',')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^[^:]+:\d+$/)]),
    );
  });
});

describe('withDatabase', () => {
  it('swaps the database of a URL and keeps the rest', () => {
    expect(withDatabase('postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable', 'other')).toBe(
      'postgres://u:p@127.0.0.1:5432/other?sslmode=disable',
    );
  });
});
