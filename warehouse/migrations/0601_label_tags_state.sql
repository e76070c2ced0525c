-- The watermark of the `labels.tags` job, the safety net of the tag follower: label events carried
-- by `lb=` callback tags are derived again from the `sent` statuses loaded since it, so a follower
-- call that failed, was dropped or was cut by a restart loses nothing.
CREATE TABLE IF NOT EXISTS {{db}}.label_tags_state_v1 {{on_cluster}}
(
    job          String COMMENT 'none; cat=technical',
    watermark_ms UInt64 COMMENT 'none; cat=technical',
    updated_at   DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at)}}
ORDER BY job;
