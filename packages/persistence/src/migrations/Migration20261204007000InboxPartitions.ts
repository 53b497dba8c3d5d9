import { Migration } from '@mikro-orm/migrations';

/**
 * The inbox becomes partitioned by RANGE of its message id, one partition per UTC day, the way
 * Migration20261204005000TimePartitions converted the message tables: the maintenance job creates
 * its days ahead and drops whole days past INBOX_RETENTION instead of the dispatcher's batched
 * DELETEs.
 *
 * The primary key stays `(message_id)`: it is the partition column, so a second delivery of a
 * command falls into the partition of the first and its unique index refuses it; the dispatcher's
 * `ON CONFLICT (message_id) DO NOTHING` is unchanged.
 *
 * No copy: the existing table is attached as it is as `inbox_legacy` (MINVALUE up to the start of
 * tomorrow, UTC); rows above that bound (ids that are not time-ordered) are moved first to the
 * DEFAULT partition. Attaching validates the bound and builds the key's index on the old rows.
 */
export class Migration20261204007000InboxPartitions extends Migration {
  override name = 'Migration20261204007000InboxPartitions';

  override up(): void {
    this.addSql('ALTER TABLE inbox DROP CONSTRAINT inbox_pkey');
    this.addSql('DROP INDEX inbox_received_at_idx');
    this.addSql('ALTER TABLE inbox RENAME TO inbox_legacy');
    this.addSql(
      `CREATE TABLE inbox (LIKE inbox_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
         PARTITION BY RANGE (message_id)`,
    );
    this.addSql('ALTER TABLE inbox ADD PRIMARY KEY (message_id)');
    // Each day's rows arrive in time order: BRIN finds the rows received late in a day (a
    // scheduled send released days after its id was made) at almost no write cost.
    this.addSql('CREATE INDEX inbox_received_at_idx ON inbox USING brin (received_at)');
    this.addSql('CREATE TABLE inbox_default PARTITION OF inbox DEFAULT');
    this.addSql(`DO $do$
DECLARE
  bound text := 'msg_' || lpad(to_hex((extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC')
                  + interval '1 day') * 1000)::bigint), 12, '0');
BEGIN
  INSERT INTO inbox SELECT * FROM inbox_legacy WHERE message_id >= bound;
  DELETE FROM inbox_legacy WHERE message_id >= bound;
  EXECUTE format('ALTER TABLE inbox ATTACH PARTITION inbox_legacy FOR VALUES FROM (MINVALUE) TO (%L)', bound);
END
$do$`);
  }

  override down(): void {
    throw new Error('Migration20261204007000InboxPartitions cannot be undone: restore from a backup');
  }
}
