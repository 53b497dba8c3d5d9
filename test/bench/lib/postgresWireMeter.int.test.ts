// The wire meter behind docs/scaling.md's round trips, transactions and statements: what it counts
// for a known session against the real PostgreSQL.
import pg from 'pg';
import { normaliseStatement, PostgresWireMeter, type WireCounts, wireDelta } from './postgresWireMeter.ts';

const databaseUrl = process.env.DATABASE_URL ?? '';

describe('normalising a statement', () => {
  it('folds parameters, repeated row tuples, numbers and string literals', () => {
    expect(normaliseStatement('INSERT INTO t (a, b)\n  VALUES ($1, $2), ($3, $4), ($5, $6)')).toBe(
      'INSERT INTO t (a, b) VALUES (?, …), …',
    );
    expect(normaliseStatement("SELECT pg_notify('exactly_outbox', '') LIMIT 500")).toBe(
      "SELECT pg_notify('…', '…') LIMIT N",
    );
  });
});

describe('a session through the wire meter', () => {
  const server = new URL(databaseUrl);
  let meter: PostgresWireMeter;
  let client: pg.Client;

  beforeAll(async () => {
    meter = await new PostgresWireMeter({
      host: server.hostname,
      port: Number(server.port || 5432),
    }).listen();
    client = new pg.Client({ connectionString: meter.url(databaseUrl) });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
    await meter.close();
  });

  /**
   * The counts once every round trip sent has been answered to its end (at most 2 s): the client
   * sees a failed statement's error as soon as PostgreSQL sends it, and the ReadyForQuery that ends
   * that round trip can reach the meter in a later packet (CI of 797f5ce counted 3 autocommit
   * statements of 4).
   */
  async function answered(before: WireCounts): Promise<WireCounts> {
    for (let tries = 1; ; tries += 1) {
      const delta = wireDelta(before, meter.snapshot());
      if (delta.readyForQuery >= delta.roundTrips || tries >= 100) return delta;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('counts round trips, transactions, autocommit statements and each statement executed', async () => {
    const before = meter.snapshot();
    await client.query('SELECT 1');
    await client.query('SELECT $1::int AS n', [1]);
    await client.query('SELECT $1::int AS n', [2]);
    await client.query('BEGIN');
    await client.query('CREATE TEMPORARY TABLE wire_meter_check (n int) ON COMMIT DROP');
    await client.query('INSERT INTO wire_meter_check VALUES ($1), ($2)', [1, 2]);
    await client.query('COMMIT');
    await expect(client.query('SELECT 1/0')).rejects.toThrow();
    const counted = await answered(before);

    expect(counted.roundTrips).toBe(8);
    expect(counted.readyForQuery).toBe(8);
    expect(counted.transactions).toBe(1);
    // SELECT 1, the two parameterised SELECTs; the failed one ends idle too.
    expect(counted.autocommitStatements).toBe(4);
    expect(counted.errors).toBe(1);
    expect(Object.fromEntries(counted.statements)).toEqual({
      'SELECT N': 1,
      'SELECT ?::int AS n': 2,
      BEGIN: 1,
      'CREATE TEMPORARY TABLE wire_meter_check (n int) ON COMMIT DROP': 1,
      'INSERT INTO wire_meter_check VALUES (?, …), …': 1,
      COMMIT: 1,
      'SELECT N/N': 1,
    });
    expect(counted.bytesToServer).toBeGreaterThan(0);
    expect(counted.bytesFromServer).toBeGreaterThan(0);
  });

  it('knows its sessions by the client port PostgreSQL sees', async () => {
    const { rows } = await client.query<{ port: number }>(
      'SELECT client_port AS port FROM pg_stat_activity WHERE pid = pg_backend_pid()',
    );
    expect(meter.serverSidePorts.has(Number(rows[0]?.port))).toBe(true);
  });
});
