-- The ingest loader stores each batch with an insert_deduplication_token derived from its position in
-- the ingest log: a batch loaded again after a crash (before its cursor was saved) is dropped by the
-- engine instead of written twice. Non-replicated tables only remember tokens with this window set.
-- The loader deletes log segments once loaded, so a loaded part must be on disk by then: the engine
-- does not fsync new parts by default (one fsync per part: a few per batch, batches are large).
ALTER TABLE {{db}}.raw_webhooks_v1 {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE {{db}}.messages_v1 {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE {{db}}.statuses_v1 {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE {{db}}.message_echoes_v1 {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE {{db}}.user_preferences_v1 {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE {{db}}.contacts_v1 {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE {{db}}.management_events_v1 {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE {{db}}.webhook_errors_v1 {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE {{db}}.unknown_items_v1 {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1
