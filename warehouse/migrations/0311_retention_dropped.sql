-- Rows a table did not keep because they were past its retention when they arrived, per day of
-- arrival: the evidence that retention, not a fault, left them out.
CREATE TABLE IF NOT EXISTS {{db}}.retention_dropped_v1 {{on_cluster}}
(
    table_name  LowCardinality(String) COMMENT 'none; cat=technical',
    reason      LowCardinality(String) COMMENT 'none; cat=technical',
    day         Date COMMENT 'none; cat=technical',
    rows        UInt64 COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:SummingMergeTree(rows)}}
ORDER BY (table_name, reason, day)
