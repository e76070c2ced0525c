-- The CSAT surveys sent: one row per `sent` status of an outbound message whose callback tag carries
-- `cs=<survey>` (warehouse/queries/csat/ratings.ts), written by the engine as each status is stored
-- (the view below), so the CSAT report reads a few hundred thousand rows instead of matching the tag
-- pattern over every `sent` status, twice, on each read (about 1 s at 10 M events). The customer's
-- wa_id (or user id) is a subject key: access exports and erasure reach these rows.
CREATE TABLE IF NOT EXISTS {{db}}.csat_surveys_v1 {{on_cluster}}
(
    waba_id          String COMMENT 'none; cat=business',
    phone_number_id  String COMMENT 'none; cat=business',
    wamid            String COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    wa_id            String COMMENT 'pii:direct; cat=identifier; purpose=analytics',
    ts               DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    survey           String COMMENT 'none; cat=business',
    INDEX ts_idx ts TYPE minmax GRANULARITY 1,
    INDEX subject_idx wa_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = {{replicated:ReplacingMergeTree}}
PARTITION BY toYYYYMM(ts)
ORDER BY (waba_id, phone_number_id, wamid, ts);

-- On a cluster each shard's statuses feed that shard's surveys.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.csat_surveys_mv {{on_cluster}} TO {{db}}.csat_surveys_v1 AS
SELECT waba_id, phone_number_id, wamid, if(recipient_id != '', recipient_id, recipient_user_id) AS wa_id, ts,
       trimBoth(extract(biz_opaque_callback_data, '^ *v1 *;(?:[^;]*;)* *cs *= *([^;]*)')) AS survey
FROM {{db}}.statuses_v1
WHERE status = 'sent' AND position(biz_opaque_callback_data, 'cs') > 0 AND match(biz_opaque_callback_data, '^ *v1 *;(?:[^;]*;)* *cs *= *([^;]*)');

-- The surveys stored before the view (a status stored meanwhile is written twice: the key collapses it).
INSERT INTO {{main_db}}.csat_surveys_v1
SELECT waba_id, phone_number_id, wamid, if(recipient_id != '', recipient_id, recipient_user_id) AS wa_id, ts,
       trimBoth(extract(biz_opaque_callback_data, '^ *v1 *;(?:[^;]*;)* *cs *= *([^;]*)')) AS survey
FROM {{main_db}}.statuses_v1
WHERE status = 'sent' AND position(biz_opaque_callback_data, 'cs') > 0 AND match(biz_opaque_callback_data, '^ *v1 *;(?:[^;]*;)* *cs *= *([^;]*)')
