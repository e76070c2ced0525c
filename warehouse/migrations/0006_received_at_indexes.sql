-- The SLA and billing jobs look for items received since their watermark; a min/max index on the
-- receive time lets that scan skip every granule received earlier.
ALTER TABLE {{db}}.messages_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS received_idx received_at TYPE minmax GRANULARITY 1;
ALTER TABLE {{db}}.statuses_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS received_idx received_at TYPE minmax GRANULARITY 1;
ALTER TABLE {{db}}.message_echoes_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS received_idx received_at TYPE minmax GRANULARITY 1;
ALTER TABLE {{db}}.user_preferences_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS received_idx received_at TYPE minmax GRANULARITY 1
