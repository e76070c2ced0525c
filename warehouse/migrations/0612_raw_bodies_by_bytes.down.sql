-- Undoes 0612: the raw bodies copied back into granules of 256 rows of any size, blocks of the engine's default size, the trace text as String.
DROP TABLE IF EXISTS {{db}}.raw_webhooks_regrain {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.raw_webhooks_regrain {{on_cluster}} SYNC;

CREATE TABLE IF NOT EXISTS {{db}}.raw_webhooks_regrain {{on_cluster}}
(
    received_at     DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=operations' CODEC(Delta, ZSTD(1)),
    body_sha256     String COMMENT 'none; cat=technical',
    body            String COMMENT 'pii:content; cat=content; purpose=operations; src=$' CODEC(ZSTD(3)),
    trace_text      String DEFAULT body COMMENT 'pii:content; cat=content; purpose=operations; src=$' CODEC(ZSTD(3)),
    signature_valid Bool COMMENT 'none; cat=technical',
    verdict         LowCardinality(String) COMMENT 'none; cat=technical',
    reason          String COMMENT 'none; cat=technical',
    waba_ids        Array(String) COMMENT 'none; cat=business; src=entry[].id',
    subject_ids     Array(String) COMMENT 'pii:direct; cat=identifier; purpose=operations; src=contacts[].wa_id+messages[].from+statuses[].recipient_id',
    item_count      UInt32 COMMENT 'none; cat=technical',
    unknown_count   UInt32 COMMENT 'none; cat=technical',
    INDEX subject_idx subject_ids TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
PARTITION BY toYYYYMM(received_at)
ORDER BY body_sha256
SETTINGS index_granularity = 256, non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1,
         old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1,
         min_rows_to_fsync_after_merge = 1;

-- On a cluster through the Distributed tables: both are sharded by the body hash, so each row stays on its shard.
INSERT INTO {{main_db}}.raw_webhooks_regrain
SELECT received_at, body_sha256, body, trace_text, signature_valid, verdict, reason, waba_ids, subject_ids, item_count, unknown_count
FROM {{main_db}}.raw_webhooks_v1
SETTINGS distributed_foreground_insert = 1;

EXCHANGE TABLES {{db}}.raw_webhooks_v1 AND {{db}}.raw_webhooks_regrain {{on_cluster}};

-- The old table goes now, not after the engine's delay for dropped tables: it holds raw bodies.
DROP TABLE IF EXISTS {{db}}.raw_webhooks_regrain {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.raw_webhooks_regrain {{on_cluster}} SYNC
