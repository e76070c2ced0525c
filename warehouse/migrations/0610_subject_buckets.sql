-- Statuses, messages and waits partitioned by month and by one of 16 buckets of the person's id.
-- Deleting a person rewrites every part that holds them, and by month alone every part did: at
-- 10 M events 2.1 GB of these three tables on two cores. Now the person's bucket, a sixteenth; the
-- other parts are kept as they are. A row's person never changes, so re-deliveries still collapse
-- within their partition. Raw bodies stay by month: half of them batch several people, so a
-- person's bodies are in every bucket.
-- Tables are copied into ones built so and swapped in, as in 0606; their TTLs are set again by the
-- retention policy at the next start of the jobs instance. A rerun after a crash mid-way starts again
-- from the tables then in place.

-- statuses_v1
DROP TABLE IF EXISTS {{db}}.statuses_rebucket {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.statuses_rebucket {{on_cluster}} SYNC;

CREATE TABLE IF NOT EXISTS {{db}}.statuses_rebucket {{on_cluster}} AS {{db}}.statuses_v1
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
PARTITION BY (toYYYYMM(ts), cityHash64(if(recipient_id != '', recipient_id, recipient_user_id)) % 16)
ORDER BY (waba_id, phone_number_id, wamid, status, ts)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1,
         old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1;

INSERT INTO {{main_db}}.statuses_rebucket SELECT * FROM {{main_db}}.statuses_v1 SETTINGS distributed_foreground_insert = 1, optimize_on_insert = 0;

EXCHANGE TABLES {{db}}.statuses_v1 AND {{db}}.statuses_rebucket {{on_cluster}};

DROP TABLE IF EXISTS {{db}}.statuses_rebucket {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.statuses_rebucket {{on_cluster}} SYNC;

-- messages_v1
DROP TABLE IF EXISTS {{db}}.messages_rebucket {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.messages_rebucket {{on_cluster}} SYNC;

CREATE TABLE IF NOT EXISTS {{db}}.messages_rebucket {{on_cluster}} AS {{db}}.messages_v1
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
PARTITION BY (toYYYYMM(ts), cityHash64(if(wa_id != '', wa_id, from_user_id)) % 16)
ORDER BY (waba_id, phone_number_id, wa_id, wamid)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1,
         old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1;

INSERT INTO {{main_db}}.messages_rebucket SELECT * FROM {{main_db}}.messages_v1 SETTINGS distributed_foreground_insert = 1, optimize_on_insert = 0;

EXCHANGE TABLES {{db}}.messages_v1 AND {{db}}.messages_rebucket {{on_cluster}};

DROP TABLE IF EXISTS {{db}}.messages_rebucket {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.messages_rebucket {{on_cluster}} SYNC;

-- sla_waits_v1
DROP TABLE IF EXISTS {{db}}.sla_waits_rebucket {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.sla_waits_rebucket {{on_cluster}} SYNC;

CREATE TABLE IF NOT EXISTS {{db}}.sla_waits_rebucket {{on_cluster}} AS {{db}}.sla_waits_v1
ENGINE = {{replicated:ReplacingMergeTree(version, is_deleted)}}
PARTITION BY (toYYYYMM(started_at), cityHash64(wa_id) % 16)
ORDER BY (waba_id, family, started_at, phone_number_id, wait_id)
SETTINGS index_granularity = 8192, fsync_part_directory = 1,
         old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1;

INSERT INTO {{main_db}}.sla_waits_rebucket SELECT * FROM {{main_db}}.sla_waits_v1 SETTINGS distributed_foreground_insert = 1, optimize_on_insert = 0;

EXCHANGE TABLES {{db}}.sla_waits_v1 AND {{db}}.sla_waits_rebucket {{on_cluster}};

DROP TABLE IF EXISTS {{db}}.sla_waits_rebucket {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.sla_waits_rebucket {{on_cluster}} SYNC
