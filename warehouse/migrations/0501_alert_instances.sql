-- Service instances that evaluate alerts, each with the last time it said it was alive: the live ones
-- share the rules among them (each rule to one owner, by rendezvous hashing; docs/SCALING.md). One
-- row per instance after merges, so no TTL.
CREATE TABLE IF NOT EXISTS {{db}}.alert_instances_v1 {{on_cluster}}
(
    instance_id  String COMMENT 'none; cat=technical',
    seen_at      DateTime64(3, 'UTC') COMMENT 'none; cat=technical'
)
ENGINE = {{replicated:ReplacingMergeTree(seen_at)}}
ORDER BY instance_id;
