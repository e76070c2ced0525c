-- The parts of each raw body that no known field assigns to a person (ingest/body-filter.ts
-- `traceParts`): the search for a person quoted in free text reads these few bytes instead of every
-- body. Rows stored before this column existed read their whole body here (the DEFAULT), which is
-- what the search read before: conservative until `wa-analytics compliance trace-backfill` or the
-- rows' own retention replaces them.
ALTER TABLE {{db}}.raw_webhooks_v1 {{on_cluster}}
    ADD COLUMN IF NOT EXISTS trace_text String DEFAULT body COMMENT 'pii:content; cat=content; purpose=operations; src=$' CODEC(ZSTD(3)) AFTER body
