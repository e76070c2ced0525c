-- The scheduled jobs (the safety net behind the derivations that follow each load) find the rows
-- that arrived since their watermark. With the ingest log, a body is received (appended) before it
-- is loaded, and during a warehouse outage long before: a watermark on receipt time could pass rows
-- not yet loaded. `loaded_at` is when the loader stored the row; rows stored before it existed were
-- stored when received, so it defaults to `received_at`.
ALTER TABLE {{db}}.messages_v1 {{on_cluster}} ADD COLUMN IF NOT EXISTS loaded_at DateTime64(3, 'UTC') DEFAULT received_at COMMENT 'pii:indirect; cat=metadata; purpose=operations' AFTER received_at;
ALTER TABLE {{db}}.messages_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS loaded_idx loaded_at TYPE minmax GRANULARITY 1;
ALTER TABLE {{db}}.statuses_v1 {{on_cluster}} ADD COLUMN IF NOT EXISTS loaded_at DateTime64(3, 'UTC') DEFAULT received_at COMMENT 'pii:indirect; cat=metadata; purpose=operations' AFTER received_at;
ALTER TABLE {{db}}.statuses_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS loaded_idx loaded_at TYPE minmax GRANULARITY 1;
ALTER TABLE {{db}}.message_echoes_v1 {{on_cluster}} ADD COLUMN IF NOT EXISTS loaded_at DateTime64(3, 'UTC') DEFAULT received_at COMMENT 'pii:indirect; cat=metadata; purpose=operations' AFTER received_at;
ALTER TABLE {{db}}.message_echoes_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS loaded_idx loaded_at TYPE minmax GRANULARITY 1;
ALTER TABLE {{db}}.management_events_v1 {{on_cluster}} ADD COLUMN IF NOT EXISTS loaded_at DateTime64(3, 'UTC') DEFAULT received_at COMMENT 'pii:indirect; cat=metadata; purpose=operations' AFTER received_at;
ALTER TABLE {{db}}.management_events_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS loaded_idx loaded_at TYPE minmax GRANULARITY 1
