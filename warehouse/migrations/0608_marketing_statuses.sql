-- The statuses that can make a message a marketing send: a marketing pricing category, or the
-- campaign tag in its callback data (the defaults of `privacy.consent`: marketing, marketing_lite,
-- `src=c`), written by the engine as each status is stored (the view below). The marketing-consent
-- judgement reads these 830 k rows of a month at 10 M events instead of finding them among 8.7 M
-- statuses, twice, on each read (1.9-2.0 s -> under 1 s; reports/compliance/consent.ts says when).
-- The recipient is a subject key: access exports and erasure reach these rows.
CREATE TABLE IF NOT EXISTS {{db}}.marketing_statuses_v1 {{on_cluster}}
(
    waba_id                  String COMMENT 'none; cat=business',
    phone_number_id          String COMMENT 'none; cat=business',
    wamid                    String COMMENT 'pii:indirect; cat=metadata; purpose=marketing',
    status                   LowCardinality(String) COMMENT 'pii:indirect; cat=metadata; purpose=marketing',
    ts                       DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=marketing' CODEC(Delta, ZSTD(1)),
    recipient_id             String COMMENT 'pii:direct; cat=identifier; purpose=marketing',
    recipient_user_id        String COMMENT 'pii:direct; cat=identifier; purpose=marketing',
    recipient_participant_id String COMMENT 'pii:direct; cat=identifier; purpose=marketing',
    biz_opaque_callback_data String COMMENT 'pii:indirect; cat=metadata; purpose=marketing',
    conversation_origin_type LowCardinality(String) COMMENT 'pii:indirect; cat=metadata; purpose=marketing',
    pricing_category         LowCardinality(String) COMMENT 'pii:indirect; cat=metadata; purpose=marketing',
    received_at              DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    INDEX recipient_idx recipient_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
PARTITION BY toYYYYMM(ts)
ORDER BY (waba_id, phone_number_id, wamid, status, ts)
SETTINGS old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1,
         min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1, fsync_after_insert = 1;

-- On a cluster each shard's statuses feed that shard's copies.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.marketing_statuses_mv {{on_cluster}} TO {{db}}.marketing_statuses_v1 AS
SELECT waba_id, phone_number_id, wamid, status, ts, recipient_id, recipient_user_id, recipient_participant_id,
       biz_opaque_callback_data, conversation_origin_type, pricing_category, received_at
FROM {{db}}.statuses_v1
WHERE pricing_category IN ('marketing', 'marketing_lite') OR match(biz_opaque_callback_data, '(^|;)src=c(;|$)');

-- The statuses stored before the view (a status stored meanwhile is written twice: the key collapses it).
INSERT INTO {{main_db}}.marketing_statuses_v1
SELECT waba_id, phone_number_id, wamid, status, ts, recipient_id, recipient_user_id, recipient_participant_id,
       biz_opaque_callback_data, conversation_origin_type, pricing_category, received_at
FROM {{main_db}}.statuses_v1
WHERE pricing_category IN ('marketing', 'marketing_lite') OR match(biz_opaque_callback_data, '(^|;)src=c(;|$)')
