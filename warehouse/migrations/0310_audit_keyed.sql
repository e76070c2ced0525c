-- The access audit is keyed: an entry's hash is an HMAC-SHA-256 under a key kept outside the
-- warehouse, named by key_id; entries written before have key_id '' (the unkeyed legacy segment).
-- Anchors say what they are (a chain head, the sealed end of a legacy chain, or the seal marker)
-- and carry an HMAC under the same key, so a rewritten anchor row is recognised as one.
ALTER TABLE {{db}}.access_audit_v1 {{on_cluster}}
    ADD COLUMN IF NOT EXISTS key_id String DEFAULT '' COMMENT 'none; cat=technical';

ALTER TABLE {{db}}.audit_anchors_v1 {{on_cluster}}
    ADD COLUMN IF NOT EXISTS kind LowCardinality(String) DEFAULT 'head' COMMENT 'none; cat=technical',
    ADD COLUMN IF NOT EXISTS key_id String DEFAULT '' COMMENT 'none; cat=technical',
    ADD COLUMN IF NOT EXISTS mac String DEFAULT '' COMMENT 'none; cat=technical'
