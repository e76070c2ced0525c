-- One row per template send, derived from the stored statuses, messages, opt-outs and the send log
-- (reports/templates/sends.ts): the templates report sums these rows instead of aggregating every
-- status and customer message of the range at query time. Kept by a follower after each load (a
-- customer's sends rebuilt whole, so a reply or opt-out arriving later updates the earlier send) and
-- by the `templates.sends` job; filled by the job's (or the first report's) full pass on a store that
-- predates it. `version` is when the rebuild began reading, so a slower, older rebuild never wins.
-- The customer's wa_id is a subject key: access exports and erasure reach these rows.
CREATE TABLE IF NOT EXISTS {{db}}.template_sends_v1 {{on_cluster}}
(
    waba_id          String COMMENT 'none; cat=business',
    wamid            String COMMENT 'pii:indirect; cat=metadata; purpose=billing,analytics',
    message_key      String COMMENT 'pii:indirect; cat=metadata; purpose=billing',
    phone_number_id  String COMMENT 'none; cat=business',
    wa_id            String COMMENT 'pii:direct; cat=identifier; purpose=billing,analytics',
    first_ts         DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=billing,analytics',
    delivered_ts     DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    accepted         UInt8 COMMENT 'none; cat=technical',
    is_read          UInt8 COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    is_failed        UInt8 COMMENT 'none; cat=technical',
    fail_code        UInt32 COMMENT 'none; cat=technical',
    priced           UInt8 COMMENT 'none; cat=technical',
    priced_category  LowCardinality(String) COMMENT 'none; cat=business',
    template         String COMMENT 'none; cat=business',
    language         LowCardinality(String) COMMENT 'none; cat=business',
    campaign         String COMMENT 'none; cat=business',
    attribution      LowCardinality(String) COMMENT 'none; cat=technical',
    replied          UInt8 COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    clicked          UInt8 COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    opted_out        UInt8 COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    version          UInt64 COMMENT 'none; cat=technical',
    INDEX first_idx first_ts TYPE minmax GRANULARITY 1,
    INDEX subject_idx wa_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = {{replicated:ReplacingMergeTree(version)}}
ORDER BY (waba_id, wamid);

-- The job's state: its watermark, the reply/opt-out settings the rows were derived under, and
-- whether a full pass has filled the table (until then the report reads the raw tables).
CREATE TABLE IF NOT EXISTS {{db}}.template_sends_state_v1 {{on_cluster}}
(
    job          String COMMENT 'none; cat=technical',
    fingerprint  String COMMENT 'none; cat=technical',
    backfilled   UInt8 COMMENT 'none; cat=technical',
    watermark_ms UInt64 COMMENT 'none; cat=technical',
    updated_at   DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at)}}
ORDER BY job
