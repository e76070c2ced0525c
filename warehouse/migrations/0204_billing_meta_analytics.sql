-- Meta's own figures, imported from saved pricing_analytics / conversation_analytics responses.
CREATE TABLE IF NOT EXISTS {{db}}.billing_meta_analytics_v1 {{on_cluster}}
(
    waba_id         String,
    source          LowCardinality(String),          -- pricing_analytics | conversation_analytics
    import_id       String,                          -- SHA-256 of the imported JSON
    imported_at     DateTime64(3, 'UTC'),
    day             Date,                            -- local date (WABA zone) of the data point's start
    start_ts        DateTime64(3, 'UTC'),
    category        LowCardinality(String),
    type            LowCardinality(String),
    country         LowCardinality(String),
    phone           String,
    tier            String,
    volume          Float64,
    cost            Nullable(Float64)
)
ENGINE = {{replicated:ReplacingMergeTree(imported_at)}}
ORDER BY (waba_id, source, import_id, day, start_ts, category, type, country, phone, tier)
