-- Anchors and verification results name the chain (the writing instance) they belong to; rows
-- from before belong to the chain of writer ''.
ALTER TABLE {{db}}.audit_anchors_v1 {{on_cluster}}
    ADD COLUMN IF NOT EXISTS writer String DEFAULT '' COMMENT 'none; cat=technical' FIRST;

ALTER TABLE {{db}}.audit_verifications_v1 {{on_cluster}}
    ADD COLUMN IF NOT EXISTS writer String DEFAULT '' COMMENT 'none; cat=technical' AFTER verified_by
