-- Which template a message was, for senders that cannot tag `biz_opaque_callback_data`: an imported
-- send log (wamid → template, language, campaign). A later import of the same wamid replaces it.
CREATE TABLE IF NOT EXISTS {{db}}.template_send_log_v1 {{on_cluster}}
(
    waba_id      String,
    wamid        String,
    template     String,
    language     LowCardinality(String),
    campaign     String,
    import_id    String,                    -- SHA-256 of the imported file
    imported_at  DateTime64(3, 'UTC'),
    INDEX wamid_idx wamid TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = {{replicated:ReplacingMergeTree(imported_at)}}
ORDER BY (waba_id, wamid);

-- No subject identifiers: a wamid links to a person only through the ingest tables.
ALTER TABLE {{db}}.template_send_log_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS wamid 'pii:indirect; cat=metadata; purpose=delivery',
    COMMENT COLUMN IF EXISTS template 'none; cat=business',
    COMMENT COLUMN IF EXISTS language 'none; cat=business',
    COMMENT COLUMN IF EXISTS campaign 'none; cat=business',
    COMMENT COLUMN IF EXISTS import_id 'none; cat=technical',
    COMMENT COLUMN IF EXISTS imported_at 'none; cat=technical';
