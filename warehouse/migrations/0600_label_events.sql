-- Labels the business's own systems attach to and remove from a customer over time (API, CSV import,
-- `lb=` in an outbound message's callback tag). Each row is one add or remove; the time ranges a label
-- is in force are read from them (warehouse/queries/labels/intervals.ts). The same event sent twice is
-- stored once (the sort key is the event). A label says something about a person ("debt/overdue"):
-- it is personal metadata, and the customer's wa_id is a subject key, so access exports and erasure
-- reach these rows.
CREATE TABLE IF NOT EXISTS {{db}}.label_events_v1 {{on_cluster}}
(
    waba_id     String COMMENT 'none; cat=business',
    wa_id       String COMMENT 'pii:direct; cat=identifier; purpose=support',
    label       String COMMENT 'pii:indirect; cat=metadata; purpose=support',
    action      LowCardinality(String) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    at          DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=support',
    source      String COMMENT 'none; cat=business',
    origin      LowCardinality(String) COMMENT 'none; cat=technical',
    ref         String COMMENT 'pii:indirect; cat=metadata; purpose=support',
    recorded_at DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(recorded_at)}}
ORDER BY (waba_id, wa_id, label, at, action, source)
