-- Statuses of the business's outbound messages. One row per (wamid, status, timestamp): the same
-- status can legitimately repeat, while Meta's re-deliveries collapse on the key.
CREATE TABLE IF NOT EXISTS {{db}}.statuses_v1 {{on_cluster}}
(
    waba_id                  String,
    phone_number_id          String,
    display_phone_number     String,
    wamid                    String,
    status                   LowCardinality(String),
    ts                       DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    recipient_id             String,
    recipient_user_id        String,
    recipient_type           LowCardinality(String),
    recipient_participant_id String,
    biz_opaque_callback_data String,
    conversation_id          String,
    conversation_origin_type LowCardinality(String),
    conversation_expiration  Nullable(DateTime64(3, 'UTC')),
    pricing_billable         Nullable(Bool),
    pricing_model            LowCardinality(String),
    pricing_category         LowCardinality(String),
    pricing_type             LowCardinality(String),
    error_code               Nullable(Int32),
    error_title              String,
    error_details            String,
    errors_json              String,
    known_status             Bool,
    raw_json                 String CODEC(ZSTD(3)),
    body_sha256              String,
    received_at              DateTime64(3, 'UTC'),
    INDEX recipient_idx recipient_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
PARTITION BY toYYYYMM(ts)
ORDER BY (waba_id, phone_number_id, wamid, status, ts)
