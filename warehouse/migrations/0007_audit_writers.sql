-- Several instances append to the access audit at once: each instance writes its own hash chain,
-- keyed by (writer, seq), so no two writers race for a sequence number. Entries written before this
-- column existed form the chain of writer '' and keep their hashes.
ALTER TABLE {{db}}.access_audit_v1 {{on_cluster}}
    ADD COLUMN IF NOT EXISTS writer String DEFAULT '' COMMENT 'none; cat=technical' FIRST
