-- Raw bodies in granules of at most 64 KiB (and 256 rows), compressed in blocks of 4–64 KiB, and the
-- text of their parts naming nobody (`trace_text`) as LowCardinality. A person's bodies are spread
-- over the whole table (it is ordered by body hash): an access export or erasure at 10 M events read
-- 555 granules of 256 bodies (300 KiB each) and, for every small column, a 64 KiB block per granule,
-- 0.3 s for one person; in granules of 64 KiB and small blocks 0.13 s. The free-text search of
-- `trace_text` runs over its few distinct values (36 at 10 M events) instead of every row's text:
-- 0.14 → 0.03 s. The bodies take 16 % more space (smaller blocks compress less).
-- `index_granularity_bytes` cannot be altered, so the table is copied into one built so and swapped
-- in, as migration 0606 did. Its TTL is not copied: the retention policy sets it again at the next
-- start of the jobs instance (reports/compliance/retention-run.ts).
-- A rerun after a crash mid-way starts again from the table then in place.
DROP TABLE IF EXISTS {{db}}.raw_webhooks_regrain {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.raw_webhooks_regrain {{on_cluster}} SYNC;

CREATE TABLE IF NOT EXISTS {{db}}.raw_webhooks_regrain {{on_cluster}}
(
    received_at     DateTime64(3, 'UTC') COMMENT 'pii:indirect; cat=metadata; purpose=operations' CODEC(Delta, ZSTD(1)),
    body_sha256     String COMMENT 'none; cat=technical',
    body            String COMMENT 'pii:content; cat=content; purpose=operations; src=$' CODEC(ZSTD(3)),
    trace_text      LowCardinality(String) DEFAULT body COMMENT 'pii:content; cat=content; purpose=operations; src=$' CODEC(ZSTD(3)),
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
SETTINGS index_granularity = 256, index_granularity_bytes = 65536, min_compress_block_size = 4096, max_compress_block_size = 65536,
         non_replicated_deduplication_window = 1000, fsync_after_insert = 1, fsync_part_directory = 1,
         old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, finished_mutations_to_keep = 1,
         min_rows_to_fsync_after_merge = 1;

-- On a cluster through the Distributed tables: both are sharded by the body hash, so each row stays on its shard;
-- in the foreground, so every row is on the shards before the swap (queued rows would go to the old table).
INSERT INTO {{main_db}}.raw_webhooks_regrain
SELECT received_at, body_sha256, body, trace_text, signature_valid, verdict, reason, waba_ids, subject_ids, item_count, unknown_count
FROM {{main_db}}.raw_webhooks_v1
SETTINGS distributed_foreground_insert = 1;

EXCHANGE TABLES {{db}}.raw_webhooks_v1 AND {{db}}.raw_webhooks_regrain {{on_cluster}};

-- The old table goes now, not after the engine's delay for dropped tables: it holds raw bodies.
DROP TABLE IF EXISTS {{db}}.raw_webhooks_regrain {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{main_db}}.raw_webhooks_regrain {{on_cluster}} SYNC
