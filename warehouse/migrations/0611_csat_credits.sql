-- Each CSAT survey with its credit and its answer, kept by the engine's readers instead of worked out
-- on every read: who answered the chat's last human-answered wait before the survey was sent (agent
-- and team), the customer's last score and the comments. Worked out on each read, this joined every
-- survey to every answered wait of its chat and every reply (0.8 s of the managers' dashboard at
-- 10 M events). It is written for the chats each loaded batch touches, after their waits
-- (reports/csat/credits.ts), and for every survey when the table is new or the waits were
-- recomputed whole. A chat's rows are replaced as it is written again (the newest `computed_at`).
-- Not partitioned: a survey's first `sent` status can come late and move its time, and its rows must
-- meet. The customer is a subject key: access exports and erasure reach these rows.
CREATE TABLE IF NOT EXISTS {{db}}.csat_credits_v1 {{on_cluster}}
(
    waba_id          String COMMENT 'none; cat=business',
    phone_number_id  String COMMENT 'none; cat=business',
    survey_wamid     String COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    wa_id            String COMMENT 'pii:direct; cat=identifier; purpose=analytics',
    sent_at          DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    survey           String COMMENT 'none; cat=business',
    agent            String COMMENT 'pii:indirect; cat=staff; purpose=analytics',
    team             String COMMENT 'none; cat=business',
    score            UInt8 COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    comments         UInt32 COMMENT 'pii:indirect; cat=metadata; purpose=analytics',
    computed_at      DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    INDEX subject_idx wa_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX sent_idx sent_at TYPE minmax GRANULARITY 1
)
ENGINE = {{replicated:ReplacingMergeTree(computed_at)}}
ORDER BY (waba_id, phone_number_id, survey_wamid)
SETTINGS old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1,
         min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1
