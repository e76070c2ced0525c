-- Daily counts per WABA and local month, recomputed from the facts one (waba_id, month) period at a
-- time. Readers take each period's newest version; a sentinel row (kind '') marks an empty period.
CREATE TABLE IF NOT EXISTS {{db}}.billing_daily_v1 {{on_cluster}}
(
    waba_id          String,
    month            LowCardinality(String),
    day              Date,
    kind             LowCardinality(String),         -- conversation | message | '' (sentinel)
    pricing_model    LowCardinality(String),
    category         LowCardinality(String),
    market           LowCardinality(String),
    type             LowCardinality(String),
    phone_number_id  String,
    tier             LowCardinality(String),         -- volume tier in force when charged (PMP regular)
    count            UInt64,
    billable_count   UInt64,
    free_count       UInt64,
    free_tier_used   UInt64,
    draws_on_tier    UInt64,                         -- conversations that draw on the free tier (run-out forecast)
    version          DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(version)}}
ORDER BY (waba_id, month, day, kind, pricing_model, category, market, type, phone_number_id, tier)
