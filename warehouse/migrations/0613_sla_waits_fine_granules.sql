-- Customer waits in granules of 1,024 rows (was 8,192), compressed in blocks of 4–64 KiB, with the
-- number's index per granule (was per 4). An access export reads one customer's waits, a few a day
-- over every day's part: at 10 M events 159 waits in 23 parts selected 207 granules of 8,192 rows
-- and decompressed a 64 KiB block or more per granule and column, 435 MB for 159 rows (0.2 s). In
-- granules of 1,024 rows and small blocks it is 71 MB (0.14 s). Reports read whole days; their
-- granules are only smaller.
-- `index_granularity` cannot be altered, so the table is copied into one built so and swapped in,
-- as migration 0610 did. Label sets are copied as stored (the refresh keeps them).
-- A rerun after a crash mid-way starts again from the table then in place.
DROP TABLE IF EXISTS {{db}}.sla_waits_regrain {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.sla_waits_regrain {{on_cluster}} SYNC;

CREATE TABLE IF NOT EXISTS {{db}}.sla_waits_regrain {{on_cluster}}
(
    wait_id                   String COMMENT 'pii:indirect; cat=metadata; purpose=support',
    waba_id                   String COMMENT 'none; cat=business',
    phone_number_id           String COMMENT 'none; cat=business',
    wa_id                     String COMMENT 'pii:direct; cat=identifier; purpose=support',
    family                    LowCardinality(String) COMMENT 'none; cat=technical',
    kind                      LowCardinality(String) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    seq                       UInt32 COMMENT 'pii:indirect; cat=metadata; purpose=support',
    thread_started_at         DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=support',
    initiator                 LowCardinality(String) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    entry_point               LowCardinality(String) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    start_wamid               String COMMENT 'pii:indirect; cat=metadata; purpose=support',
    started_at                DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=support' CODEC(Delta, ZSTD(1)),
    last_inbound_at           DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=support',
    window_expires_at         DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=support',
    responded_at              Nullable(DateTime64(3, 'UTC')) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    response_wamid            String COMMENT 'pii:indirect; cat=metadata; purpose=support',
    response_seconds          Nullable(Float64) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    business_response_seconds Nullable(Float64) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    responder                 LowCardinality(String) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    agent                     String COMMENT 'pii:indirect; cat=staff; purpose=support',
    team                      String COMMENT 'none; cat=business',
    owner_team                String COMMENT 'none; cat=business',
    response_template         Bool COMMENT 'pii:indirect; cat=metadata; purpose=support',
    replied_in_window         Nullable(Bool) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    time_to_deliver_seconds   Nullable(Float64) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    time_to_read_seconds      Nullable(Float64) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    calendar_id               String COMMENT 'none; cat=business',
    calendar_version          String COMMENT 'none; cat=business',
    sla_policy                String COMMENT 'none; cat=business',
    sla_target_seconds        Nullable(UInt32) COMMENT 'none; cat=business',
    sla_mode                  LowCardinality(String) COMMENT 'none; cat=business',
    due_at                    Nullable(DateTime64(3, 'UTC')) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    sla_status                LowCardinality(String) COMMENT 'pii:indirect; cat=metadata; purpose=support',
    version                   UInt64 COMMENT 'none; cat=technical',
    content_hash              UInt64 DEFAULT 0 COMMENT 'none; cat=technical',
    is_deleted                UInt8 COMMENT 'none; cat=technical',
    label_set                 UInt64 MATERIALIZED
      dictGetOrDefault('{{main_db}}.label_spans_v1', 'set_id', cityHash64(waba_id, wa_id), started_at,
        dictGetOrDefault('{{main_db}}.label_spans_v1', 'set_id', cityHash64('', wa_id), started_at, toUInt64(0)))
      COMMENT 'pii:indirect; cat=metadata; purpose=support',
    INDEX wa_id_idx wa_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {{replicated:ReplacingMergeTree(version, is_deleted)}}
PARTITION BY toYYYYMMDD(started_at)
ORDER BY (waba_id, family, started_at, phone_number_id, wait_id)
SETTINGS index_granularity = 1024, min_compress_block_size = 4096, max_compress_block_size = 65536,
         min_age_to_force_merge_seconds = 60, min_age_to_force_merge_on_partition_only = 1,
         old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1,
         min_rows_to_fsync_after_merge = 1, fsync_part_directory = 1;

-- On a cluster through the Distributed tables: both are sharded by the first sort-key column, so each
-- row stays on its shard; in the foreground, so every row is on the shards before the swap.
INSERT INTO {{main_db}}.sla_waits_regrain
    (wait_id, waba_id, phone_number_id, wa_id, family, kind, seq, thread_started_at, initiator, entry_point, start_wamid, started_at,
     last_inbound_at, window_expires_at, responded_at, response_wamid, response_seconds, business_response_seconds, responder, agent,
     team, owner_team, response_template, replied_in_window, time_to_deliver_seconds, time_to_read_seconds, calendar_id,
     calendar_version, sla_policy, sla_target_seconds, sla_mode, due_at, sla_status, version, content_hash, is_deleted, label_set)
SELECT wait_id, waba_id, phone_number_id, wa_id, family, kind, seq, thread_started_at, initiator, entry_point, start_wamid, started_at,
       last_inbound_at, window_expires_at, responded_at, response_wamid, response_seconds, business_response_seconds, responder, agent,
       team, owner_team, response_template, replied_in_window, time_to_deliver_seconds, time_to_read_seconds, calendar_id,
       calendar_version, sla_policy, sla_target_seconds, sla_mode, due_at, sla_status, version, content_hash, is_deleted, label_set
FROM {{main_db}}.sla_waits_v1
SETTINGS distributed_foreground_insert = 1, insert_allow_materialized_columns = 1, max_partitions_per_insert_block = 0;

EXCHANGE TABLES {{db}}.sla_waits_v1 AND {{db}}.sla_waits_regrain {{on_cluster}};

-- The old table goes now, not after the engine's delay for dropped tables: it names customers.
DROP TABLE IF EXISTS {{db}}.sla_waits_regrain {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.sla_waits_regrain {{on_cluster}} SYNC
