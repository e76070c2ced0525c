-- Undoes 0610: the three tables copied back into partitions by month alone.

-- statuses_v1
DROP TABLE IF EXISTS {{db}}.statuses_rebucket {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.statuses_rebucket {{on_cluster}} SYNC;

CREATE TABLE IF NOT EXISTS {{db}}.statuses_rebucket {{on_cluster}} AS {{db}}.statuses_v1
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
PARTITION BY toYYYYMM(ts)
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
PARTITION BY toYYYYMM(ts)
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
PARTITION BY toYYYYMM(started_at)
ORDER BY (waba_id, family, started_at, phone_number_id, wait_id)
SETTINGS index_granularity = 8192, fsync_part_directory = 1,
         old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1, min_rows_to_fsync_after_merge = 1;

INSERT INTO {{main_db}}.sla_waits_rebucket SELECT * FROM {{main_db}}.sla_waits_v1 SETTINGS distributed_foreground_insert = 1, optimize_on_insert = 0;

EXCHANGE TABLES {{db}}.sla_waits_v1 AND {{db}}.sla_waits_rebucket {{on_cluster}};

DROP TABLE IF EXISTS {{db}}.sla_waits_rebucket {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.sla_waits_rebucket {{on_cluster}} SYNC
