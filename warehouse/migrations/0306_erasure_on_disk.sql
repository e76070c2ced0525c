-- Erasure leaves nothing on disk. A mutation's SQL text is kept in `mutation_N.txt` and
-- `system.mutations`, so erasure never writes an identifier into it: the ids of one erasure are put
-- in this in-memory table (nothing reaches disk) and each deletion names only the request.
CREATE TABLE IF NOT EXISTS {{db}}.erasure_targets_v1 {{on_cluster}}
(
    request_id String COMMENT 'none; cat=technical',
    id         String COMMENT 'pii:direct; cat=identifier; purpose=compliance; find=none',
    needle     String COMMENT 'pii:direct; cat=identifier; purpose=compliance; find=none'
)
ENGINE = Memory;

-- Tables holding a person's rows: the pre-erasure copies a mutation leaves as inactive parts are
-- removed within seconds (not the default 8 minutes), and only the latest finished mutation's text
-- is kept. A short `old_parts_lifetime` is safe only if merged parts are durable before their
-- sources go: merges fsync their part and its directory.
ALTER TABLE {{db}}.raw_webhooks_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

ALTER TABLE {{db}}.messages_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

ALTER TABLE {{db}}.statuses_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

ALTER TABLE {{db}}.message_echoes_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

ALTER TABLE {{db}}.user_preferences_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

ALTER TABLE {{db}}.contacts_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

ALTER TABLE {{db}}.management_events_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

ALTER TABLE {{db}}.webhook_errors_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

ALTER TABLE {{db}}.unknown_items_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

ALTER TABLE {{db}}.sla_waits_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

ALTER TABLE {{db}}.consent_events_v1 {{on_cluster}} MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1
