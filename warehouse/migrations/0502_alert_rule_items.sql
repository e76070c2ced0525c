-- One row per item a rule tracks (a wait, a WABA's queue, a template): when its condition was first
-- seen to hold, whether it was announced, whether its resolution is held (quiet hours), and the item
-- as last stored (its figures, for a resolution after a restart). A rule writes the rows of the items
-- that start, stop or change in these respects, not its whole state: a rule over thousands of waits
-- writes the few that changed. A forgotten item gets a row with removed = 1 (and no item), read away
-- by FINAL; parts an hour old are merged whole with those rows dropped (CLEANUP merges: every older
-- version of a key is in the same merge, so none can come back), so the table holds what is tracked
-- now, not every wait ever tracked.
-- Rules stored before (items inside alert_rule_state_v1.state_json) move here at their next write.
CREATE TABLE IF NOT EXISTS {{db}}.alert_rule_items_v1 {{on_cluster}}
(
    rule_id    String COMMENT 'none; cat=technical',
    item_key   String COMMENT 'pii:indirect; cat=metadata; purpose=support; protection=hmac',
    since      DateTime64(3, 'UTC') COMMENT 'none; cat=technical',
    notified   UInt8 COMMENT 'none; cat=technical',
    resolving  UInt8 COMMENT 'none; cat=technical',
    item_json  String COMMENT 'pii:indirect; cat=metadata; purpose=support; protection=hmac' CODEC(ZSTD(3)),
    removed    UInt8 COMMENT 'none; cat=technical',
    updated_at DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(updated_at, removed)}}
ORDER BY (rule_id, item_key)
SETTINGS allow_experimental_replacing_merge_with_cleanup = 1, min_age_to_force_merge_seconds = 3600,
         enable_replacing_merge_with_cleanup_for_min_age_to_force_merge = 1;
