-- Alert rules added through the admin API (rules in CONFIG_FILE are not stored). A new version
-- replaces the old; a removed rule gets a row with is_deleted = 1. Read with FINAL.
CREATE TABLE IF NOT EXISTS {{db}}.alert_rules_v1 {{on_cluster}}
(
    rule_id     String COMMENT 'none; cat=technical',
    rule_json   String COMMENT 'none; cat=business',
    updated_by  String COMMENT 'pii:indirect; cat=staff; purpose=operations',
    updated_at  DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    is_deleted  UInt8 COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at, is_deleted)}}
ORDER BY rule_id;

-- What each rule has seen and announced: the items whose condition holds, which of them were
-- announced, and when the rule last sent a firing message (its cooldown). Pseudonymous content only.
CREATE TABLE IF NOT EXISTS {{db}}.alert_rule_state_v1 {{on_cluster}}
(
    rule_id        String COMMENT 'none; cat=technical',
    state_json     String COMMENT 'pii:indirect; cat=metadata; purpose=support; protection=hmac',
    last_fired_at  Nullable(DateTime64(3, 'UTC')) COMMENT 'none; cat=technical',
    updated_at     DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at)}}
ORDER BY rule_id;

-- One row per message sent (a rule's firing, resolution or test, or a scheduled report), with its pseudonymous payload.
CREATE TABLE IF NOT EXISTS {{db}}.alert_firings_v1 {{on_cluster}}
(
    firing_id     String COMMENT 'none; cat=technical',
    rule_id       String COMMENT 'none; cat=technical',
    state         LowCardinality(String) COMMENT 'none; cat=technical',  -- firing | resolved | test | scheduled
    at            DateTime64(3, 'UTC') COMMENT 'none; cat=technical' CODEC(Delta, ZSTD(1)),
    waba_ids      Array(String) COMMENT 'none; cat=business',
    items         UInt32 COMMENT 'none; cat=technical',
    payload_json  String COMMENT 'pii:indirect; cat=metadata; purpose=support; protection=hmac' CODEC(ZSTD(3))
)
ENGINE = {{replicated:MergeTree}}
PARTITION BY toYYYYMM(at)
ORDER BY (rule_id, at, firing_id);

-- The delivery log: one row per attempt to hand a firing to one recipient's channel.
CREATE TABLE IF NOT EXISTS {{db}}.alert_deliveries_v1 {{on_cluster}}
(
    firing_id     String COMMENT 'none; cat=technical',
    rule_id       String COMMENT 'none; cat=technical',
    recipient_id  String COMMENT 'pii:indirect; cat=staff; purpose=operations',
    channel       LowCardinality(String) COMMENT 'none; cat=technical',  -- email | slack | webhook
    attempt       UInt32 COMMENT 'none; cat=technical',
    at            DateTime64(3, 'UTC') COMMENT 'none; cat=technical' CODEC(Delta, ZSTD(1)),
    outcome       LowCardinality(String) COMMENT 'none; cat=technical',  -- delivered | retrying | failed
    status_code   UInt32 COMMENT 'none; cat=technical',
    error         String COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:MergeTree}}
PARTITION BY toYYYYMM(at)
ORDER BY (rule_id, at, firing_id, recipient_id, channel, attempt)
