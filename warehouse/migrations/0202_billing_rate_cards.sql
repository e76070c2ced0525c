-- Rate cards as loaded (Meta's CSVs per currency and effective date). A load is whole: the newest
-- loaded_at of a (currency, kind, effective_from) is the card in force from that date.
CREATE TABLE IF NOT EXISTS {{db}}.billing_rate_cards_v1 {{on_cluster}}
(
    currency        LowCardinality(String),
    kind            LowCardinality(String),          -- rates | tiers
    effective_from  Date,
    loaded_at       DateTime64(3, 'UTC'),
    source_name     String,
    source_sha256   String,
    loaded_by       String,
    market          LowCardinality(String),
    category        LowCardinality(String),
    tier            String,
    price           Decimal(20, 8),
    line            UInt32
)
ENGINE = {{replicated:MergeTree}}
ORDER BY (currency, kind, effective_from, loaded_at, market, category, tier)
