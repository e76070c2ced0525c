-- The accounting copy of every status that can make a charge: what billing facts are derived from,
-- kept under the accounting retention (default 10 years) while statuses_v1 keeps personal data
-- under its own, shorter policy. No personal data: the wamid (base64 of the customer's number) is
-- replaced by a keyed substitute, the recipient by the market it falls in.
CREATE TABLE IF NOT EXISTS {{db}}.billing_statuses_v1 {{on_cluster}}
(
    waba_id                  String COMMENT 'none; cat=business',
    phone_number_id          String COMMENT 'none; cat=business',
    message_key              String COMMENT 'none; cat=technical; protection=hmac',
    status                   LowCardinality(String) COMMENT 'none; cat=business',
    ts                       DateTime64(3, 'UTC') COMMENT 'none; cat=business' CODEC(Delta, ZSTD(1)),
    conversation_id          String COMMENT 'none; cat=business',
    conversation_origin_type LowCardinality(String) COMMENT 'none; cat=business',
    pricing_billable         Nullable(Bool) COMMENT 'none; cat=business',
    pricing_model            LowCardinality(String) COMMENT 'none; cat=business',
    pricing_category         LowCardinality(String) COMMENT 'none; cat=business',
    pricing_type             LowCardinality(String) COMMENT 'none; cat=business',
    market                   LowCardinality(String) COMMENT 'none; cat=business',
    received_at              DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    loaded_at                DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
PARTITION BY toYYYYMM(ts)
ORDER BY (waba_id, message_key, status, ts, conversation_id);

-- Facts hold the keyed substitute in `wamid` (rows written before are rekeyed by the billing
-- module at start), so they outlive erasure without naming anyone.
ALTER TABLE {{db}}.billing_messages_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS wamid 'none; cat=technical; protection=hmac'
