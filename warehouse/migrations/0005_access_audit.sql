-- Append-only access audit (who ran which report, export or erasure), chained by hashes so that an
-- edited or deleted entry is detectable. Parameters hold keyed hashes, never raw phone numbers.
CREATE TABLE IF NOT EXISTS {{db}}.access_audit_v1 {{on_cluster}}
(
    seq            UInt64,
    at             DateTime64(3, 'UTC'),
    actor          String,
    role           LowCardinality(String),
    action         LowCardinality(String),
    params_json    String,
    rows_returned  Nullable(UInt64),
    export_sha256  String,
    prev_hash      String,
    entry_hash     String
)
ENGINE = {{replicated:MergeTree}}
ORDER BY seq
