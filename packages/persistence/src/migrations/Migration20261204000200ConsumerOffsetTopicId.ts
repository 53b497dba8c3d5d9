import { Migration } from '@mikro-orm/migrations';

/**
 * Which log a stored consumer offset belongs to: Kafka's topic id (a new one when a topic of the
 * same name is created again). An offset compared only with the batch's high watermark made a
 * recreated topic with a longer backlog look processed up to the stale offset, and those commands
 * were never sent. NULL (rows written before this column) means unknown: treated as another log,
 * so the partition is processed from where Kafka delivers and the inbox drops what was seen.
 */
export class Migration20261204000200ConsumerOffsetTopicId extends Migration {
  override name = 'Migration20261204000200ConsumerOffsetTopicId';

  override up(): void {
    this.addSql('ALTER TABLE consumer_offsets ADD COLUMN topic_id text');
  }

  override down(): void {
    this.addSql('ALTER TABLE consumer_offsets DROP COLUMN topic_id');
  }
}
