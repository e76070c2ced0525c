-- Who each message of the accounting copy went to: the keyed substitute the billing facts name a
-- message by, and the customer's wa_id, so charges are split by the customer's labels inside the
-- warehouse (the facts name no one and outlive erasure; without this the service had to key every
-- labelled customer's messages itself and send the keys with the query). Written with the
-- accounting copy of each status (reports/billing/ledger.ts). The wa_id is a subject key: access
-- exports and erasure reach these rows, and they are kept as long as the statuses they come from.
CREATE TABLE IF NOT EXISTS {{db}}.billing_message_customers_v1 {{on_cluster}}
(
    waba_id      String COMMENT 'none; cat=business',
    message_key  String COMMENT 'pii:indirect; cat=metadata; purpose=billing',
    wa_id        String COMMENT 'pii:direct; cat=identifier; purpose=billing',
    ts           DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=billing',
    INDEX subject_idx wa_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX ts_idx ts TYPE minmax GRANULARITY 1
)
ENGINE = {{replicated:ReplacingMergeTree}}
ORDER BY (waba_id, message_key);
