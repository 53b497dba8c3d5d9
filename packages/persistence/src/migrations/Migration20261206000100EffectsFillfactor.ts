import { Migration } from '@mikro-orm/migrations';

/**
 * Leaves half of each new page of `effects` free, so that an effect's next versions (its claim or
 * call start, then its outcome) are written on its own page. Those updates cannot be HOT (they
 * change `state` and `due_at`, which `effects_due_idx` holds), but a new version on the same page
 * is logged as the bytes that changed rather than the whole row with its request. Measured on
 * 20,000 effects of ~580 bytes updated as a claim, then as an outcome: 855 and 784 bytes of WAL per
 * update on full pages, 583 and 384 at fillfactor 70, 327 and 268 at 50. In the pipeline
 * (`node test/bench/stageCosts.ts`, 5,000 commands at 200/s through the http provider): effects
 * 2,029 → 1,756 bytes of WAL per command, all tables 11,291 → 11,019. The price is room: the
 * table's pages hold half as many new effects.
 *
 * A partitioned table holds no pages: each partition takes the setting (new pages only), and the
 * maintenance job creates the next days' partitions with it (`messageGroup` in @exactly/retention).
 */
export class Migration20261206000100EffectsFillfactor extends Migration {
  override name = 'Migration20261206000100EffectsFillfactor';

  override up(): void {
    this.addSql(setOnPartitions('effects', 'SET (fillfactor = 50)'));
  }

  override down(): void {
    this.addSql(setOnPartitions('effects', 'RESET (fillfactor)'));
  }
}

function setOnPartitions(table: string, change: string): string {
  return `DO $$
DECLARE partition regclass;
BEGIN
  FOR partition IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = '${table}'::regclass LOOP
    EXECUTE format('ALTER TABLE %s ${change}', partition);
  END LOOP;
END $$`;
}
