import { Migration } from '@mikro-orm/migrations';

/**
 * Write-ahead provider calls and the `held` state. `call_started_at` is set, fenced by the claim
 * token and the lease, in a transaction committed before the provider is called: an in-flight
 * effect whose lease ended without it never reached its provider and is claimed again as the
 * same attempt; one with it is ambiguous (the call may have gone out). An ambiguous attempt of a
 * provider that does not honour keys makes the effect `held` (outcome unknown, for the
 * operator); its attempt row says `ambiguous` until a late answer or the operator settles it.
 */
export class Migration20261204000100HeldEffects extends Migration {
  override name = 'Migration20261204000100HeldEffects';

  override up(): void {
    this.addSql('ALTER TABLE effects ADD COLUMN call_started_at timestamptz');
    this.addSql('ALTER TABLE effects DROP CONSTRAINT effects_state_check');
    this.addSql(`ALTER TABLE effects ADD CONSTRAINT effects_state_check
                   CHECK (state IN ('pending', 'in_flight', 'succeeded', 'failed', 'held'))`);
    this.addSql("CREATE INDEX effects_held_idx ON effects (finished_at, id) WHERE state = 'held'");
    this.addSql('ALTER TABLE effect_attempts DROP CONSTRAINT effect_attempts_outcome_check');
    this.addSql(`ALTER TABLE effect_attempts ADD CONSTRAINT effect_attempts_outcome_check
                   CHECK (outcome IN ('accepted', 'retryable', 'permanent', 'ambiguous'))`);
  }

  override down(): void {
    this.addSql("DELETE FROM effect_attempts WHERE outcome = 'ambiguous'");
    this.addSql('ALTER TABLE effect_attempts DROP CONSTRAINT effect_attempts_outcome_check');
    this.addSql(`ALTER TABLE effect_attempts ADD CONSTRAINT effect_attempts_outcome_check
                   CHECK (outcome IN ('accepted', 'retryable', 'permanent'))`);
    this.addSql('DROP INDEX effects_held_idx');
    this.addSql("UPDATE effects SET state = 'pending' WHERE state = 'held'");
    this.addSql('ALTER TABLE effects DROP CONSTRAINT effects_state_check');
    this.addSql(`ALTER TABLE effects ADD CONSTRAINT effects_state_check
                   CHECK (state IN ('pending', 'in_flight', 'succeeded', 'failed'))`);
    this.addSql('ALTER TABLE effects DROP COLUMN call_started_at');
  }
}
