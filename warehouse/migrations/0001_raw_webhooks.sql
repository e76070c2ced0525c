-- Landing table: one row per POST body, the exact bytes Meta signed. The durable record every typed
-- table can be rebuilt from (`wa-analytics replay`), and the quarantine for bodies that are not JSON.
CREATE TABLE IF NOT EXISTS {{db}}.raw_webhooks_v1 {{on_cluster}}
(
    received_at     DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    body_sha256     String,
    body            String CODEC(ZSTD(3)),
    signature_valid Bool,
    verdict         LowCardinality(String),  -- ok | unknown_shape | not_json | redacted
    reason          String,
    waba_ids        Array(String),
    subject_ids     Array(String),           -- every wa_id / user id named in the body (DSAR, erasure)
    item_count      UInt32,
    unknown_count   UInt32,
    INDEX subject_idx subject_ids TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
PARTITION BY toYYYYMM(received_at)
ORDER BY body_sha256
