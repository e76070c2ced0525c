-- The customer messages and statuses that are consent signals, copied as the engine stores them (the
-- views below): messages whose whole text (trimmed, lower case) is one of the default opt-out or
-- opt-in keywords of `privacy.consent`, and statuses Meta refused with error 131050 (the user stopped
-- marketing messages). The consent stream (warehouse/queries/compliance/consent.ts) reads these few
-- rows instead of testing the text of every message and merging every status, on each of the
-- privacy dashboard's two consent reads. Keywords beyond the defaults are found in every message
-- (reports/compliance/consent.ts says when). The customer is a subject key: access exports and
-- erasure reach these rows.
CREATE TABLE IF NOT EXISTS {{db}}.consent_signals_v1 {{on_cluster}}
(
    kind             LowCardinality(String) COMMENT 'none; cat=technical',  -- keyword | meta_error_131050
    waba_id          String COMMENT 'none; cat=business',
    phone_number_id  String COMMENT 'none; cat=business',
    wamid            String COMMENT 'pii:indirect; cat=metadata; purpose=marketing',
    subject          String COMMENT 'pii:direct; cat=identifier; purpose=marketing',
    keyword          String COMMENT 'pii:content; cat=consent; purpose=marketing',  -- the message's text, trimmed, lower case
    ts               DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=consent; purpose=marketing' CODEC(Delta, ZSTD(1)),
    received_at      DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    INDEX subject_idx subject TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
PARTITION BY toYYYYMM(ts)
ORDER BY (kind, waba_id, phone_number_id, wamid, ts)
SETTINGS old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1,
         min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1, fsync_after_insert = 1;

-- On a cluster each shard's messages and statuses feed that shard's copies.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.consent_keywords_mv {{on_cluster}} TO {{db}}.consent_signals_v1 AS
SELECT 'keyword' AS kind, waba_id, phone_number_id, wamid, if(wa_id != '', wa_id, from_user_id) AS subject,
       lowerUTF8(trimBoth(if(text_body != '', text_body, button_text))) AS keyword, ts, received_at
FROM {{db}}.messages_v1
WHERE keyword IN ('stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'opt out', 'optout', 'parar', 'sair', 'cancelar',
                  'descadastrar', 'desinscrever', 'baja', 'dar de baja', 'alto', 'detener', 'cancelar suscripcion',
                  'cancelar suscripción', 'abmelden', 'stopp', 'abbestellen', 'arret', 'arrêt', 'desabonner', 'désabonner',
                  'annulla', 'disiscrivi', 'रुकें', 'बंद करें',
                  'start', 'unstop', 'subscribe', 'voltar', 'assinar', 'alta', 'anmelden');

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.consent_refusals_mv {{on_cluster}} TO {{db}}.consent_signals_v1 AS
SELECT 'meta_error_131050' AS kind, waba_id, phone_number_id, wamid, if(recipient_id != '', recipient_id, recipient_user_id) AS subject,
       '' AS keyword, ts, received_at
FROM {{db}}.statuses_v1
WHERE error_code = 131050;

-- The signals stored before the views (one stored meanwhile is written twice: the key collapses it).
INSERT INTO {{main_db}}.consent_signals_v1
SELECT 'keyword' AS kind, waba_id, phone_number_id, wamid, if(wa_id != '', wa_id, from_user_id) AS subject,
       lowerUTF8(trimBoth(if(text_body != '', text_body, button_text))) AS keyword, ts, received_at
FROM {{main_db}}.messages_v1
WHERE keyword IN ('stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'opt out', 'optout', 'parar', 'sair', 'cancelar',
                  'descadastrar', 'desinscrever', 'baja', 'dar de baja', 'alto', 'detener', 'cancelar suscripcion',
                  'cancelar suscripción', 'abmelden', 'stopp', 'abbestellen', 'arret', 'arrêt', 'desabonner', 'désabonner',
                  'annulla', 'disiscrivi', 'रुकें', 'बंद करें',
                  'start', 'unstop', 'subscribe', 'voltar', 'assinar', 'alta', 'anmelden');

INSERT INTO {{main_db}}.consent_signals_v1
SELECT 'meta_error_131050' AS kind, waba_id, phone_number_id, wamid, if(recipient_id != '', recipient_id, recipient_user_id) AS subject,
       '' AS keyword, ts, received_at
FROM {{main_db}}.statuses_v1
WHERE error_code = 131050
