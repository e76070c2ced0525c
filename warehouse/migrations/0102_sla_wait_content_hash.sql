-- A fingerprint of everything a stored wait says except its version: the job compares it with a
-- fresh computation and writes only the waits that changed, reading no more than this column.
ALTER TABLE {{db}}.sla_waits_v1 {{on_cluster}} ADD COLUMN IF NOT EXISTS content_hash UInt64 DEFAULT 0 AFTER version;

ALTER TABLE {{db}}.sla_waits_v1 {{on_cluster}} COMMENT COLUMN IF EXISTS content_hash 'none; cat=technical'
