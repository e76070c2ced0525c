-- Nightly forecast snapshots: what the month-end forecast said on each local date, so its accuracy
-- over the month can be shown. Idempotent by (waba, month, snapshot date, model, category).
CREATE TABLE IF NOT EXISTS {{db}}.billing_forecast_snapshots_v1 {{on_cluster}}
(
    waba_id         String,
    month           LowCardinality(String),
    snapshot_date   Date,
    pricing_model   LowCardinality(String),
    category        LowCardinality(String),          -- '*' for the WABA's total
    actual_to_date  Float64,
    forecast        Float64,
    low             Float64,
    high            Float64,
    amount_to_date  Nullable(Float64),
    amount_forecast Nullable(Float64),
    currency        LowCardinality(String),
    created_at      DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(created_at)}}
ORDER BY (waba_id, month, snapshot_date, pricing_model, category)
