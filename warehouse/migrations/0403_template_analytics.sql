-- Meta's own per-template daily numbers, from a saved Graph API `template_analytics` response, kept
-- to show where they and ours differ. A later import of the same template and day replaces it.
CREATE TABLE IF NOT EXISTS {{db}}.template_analytics_v1 {{on_cluster}}
(
    waba_id       String,
    template_id   String,
    day           Date,                     -- the UTC day of the data point's start
    sent          UInt64,
    delivered     UInt64,
    read          UInt64,
    clicked       UInt64,
    amount_spent  Nullable(Float64),
    import_id     String,                   -- SHA-256 of the imported file
    imported_at   DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(imported_at)}}
ORDER BY (waba_id, template_id, day);

ALTER TABLE {{db}}.template_analytics_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS template_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS day 'none; cat=business',
    COMMENT COLUMN IF EXISTS sent 'none; cat=business',
    COMMENT COLUMN IF EXISTS delivered 'none; cat=business',
    COMMENT COLUMN IF EXISTS read 'none; cat=business',
    COMMENT COLUMN IF EXISTS clicked 'none; cat=business',
    COMMENT COLUMN IF EXISTS amount_spent 'none; cat=business',
    COMMENT COLUMN IF EXISTS import_id 'none; cat=technical',
    COMMENT COLUMN IF EXISTS imported_at 'none; cat=technical';
