-- Billing facts, rebuilt by the billing.facts job from statuses touched since its watermark.
-- One row per charged message (NBP, PMP) and one per CBP conversation. Rows are replaced as a whole
-- (version = newest status row that contributed), so two job instances writing the same key change
-- nothing. No partition: a fact's month can move (a late `delivered`), and replacement needs one part set.
CREATE TABLE IF NOT EXISTS {{db}}.billing_messages_v1 {{on_cluster}}
(
    waba_id            String,
    wamid              String,
    phone_number_id    String,
    month              LowCardinality(String),       -- YYYY-MM in the WABA's time zone, of charge_ts
    day                Date,                         -- local date of charge_ts
    charge_ts          DateTime64(3, 'UTC'),         -- earliest delivered/read, else sent
    pricing_model      LowCardinality(String),
    category           LowCardinality(String),
    type               LowCardinality(String),
    billable           UInt8,
    counted            UInt8,                        -- 0: no longer a charged message (kept so the old month is rolled up again)
    market             LowCardinality(String),
    source_received_at DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(source_received_at)}}
ORDER BY (waba_id, wamid);

CREATE TABLE IF NOT EXISTS {{db}}.billing_conversations_v1 {{on_cluster}}
(
    waba_id            String,
    conversation_id    String,
    phone_number_id    String,
    month              LowCardinality(String),       -- YYYY-MM in the WABA's time zone, of first_ts
    day                Date,
    first_ts           DateTime64(3, 'UTC'),         -- earliest status carrying the conversation id
    pricing_model      LowCardinality(String),
    category           LowCardinality(String),
    billable           Nullable(UInt8),              -- NULL: payload silent, decided by the free tier's use
    draws_on_free_tier UInt8,                        -- 0 for categories free in their own right
    counted            UInt8,
    market             LowCardinality(String),
    source_received_at DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(source_received_at)}}
ORDER BY (waba_id, conversation_id);

-- Watermark of the facts job and the periods it still has to roll up (kept across a crash).
CREATE TABLE IF NOT EXISTS {{db}}.billing_job_state_v1 {{on_cluster}}
(
    job             LowCardinality(String),
    watermark       DateTime64(3, 'UTC'),
    pending_periods Array(String),                   -- 'waba_id|YYYY-MM'
    updated_at      DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at)}}
ORDER BY job
