import { Migration } from '@mikro-orm/migrations';

/**
 * The guard of the ingest API's one-statement write (`lockInsertAndWrite` in @exactly/idempotency):
 * the statement inserts a batch's idempotency records and its effects together, and this function,
 * called in it with how many records were written, refuses the whole statement unless all were. A
 * SELECT cannot raise an error by itself; a function that raises with its own SQLSTATE (XI001)
 * lets the caller tell a refused batch from any other failure.
 */
export class Migration20261207000100RequireWritten extends Migration {
  override name = 'Migration20261207000100RequireWritten';

  override up(): void {
    this.addSql(`CREATE FUNCTION idempotency_require_written(written integer, expected integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF written < expected THEN
    RAISE EXCEPTION 'idempotency write refused: % of % records could not be written', expected - written, expected
      USING ERRCODE = 'XI001';
  END IF;
  RETURN true;
END $$`);
  }

  override down(): void {
    this.addSql('DROP FUNCTION idempotency_require_written(integer, integer)');
  }
}
