-- Coexistence history and contact sync, Calling, errors that quote a number and items of unknown
-- shape name people too: each row keeps the ids it names (a subject key), so the access export and
-- erasure find it and the suppression screen recognises it. Their JSON and texts are personal data.

ALTER TABLE {{db}}.management_events_v1 {{on_cluster}}
    ADD COLUMN IF NOT EXISTS subject_ids Array(String) COMMENT 'pii:direct; cat=identifier; purpose=support,operations; src=history[].threads[].id+state_sync[].contact.phone_number+calls[].from/to',
    COMMENT COLUMN value_json 'pii:content; cat=content; purpose=support,operations; src=value',
    COMMENT COLUMN received_at 'pii:indirect; cat=metadata; purpose=operations';

ALTER TABLE {{db}}.webhook_errors_v1 {{on_cluster}}
    ADD COLUMN IF NOT EXISTS subject_ids Array(String) COMMENT 'pii:direct; cat=identifier; purpose=operations; src=errors[].message+details (numbers quoted)',
    COMMENT COLUMN title 'pii:indirect; cat=metadata; purpose=operations',
    COMMENT COLUMN message 'pii:content; cat=content; purpose=operations',
    COMMENT COLUMN details 'pii:content; cat=content; purpose=operations',
    COMMENT COLUMN raw_json 'pii:content; cat=content; purpose=operations; find=json';

ALTER TABLE {{db}}.unknown_items_v1 {{on_cluster}}
    ADD COLUMN IF NOT EXISTS subject_ids Array(String) COMMENT 'pii:direct; cat=identifier; purpose=operations; src=any id-like key of the item';

-- Indexes live on the shards only (a Distributed table has none): a statement of their own.
ALTER TABLE {{db}}.management_events_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS subject_idx subject_ids TYPE bloom_filter(0.01) GRANULARITY 4;

ALTER TABLE {{db}}.webhook_errors_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS subject_idx subject_ids TYPE bloom_filter(0.01) GRANULARITY 4;

ALTER TABLE {{db}}.unknown_items_v1 {{on_cluster}} ADD INDEX IF NOT EXISTS subject_idx subject_ids TYPE bloom_filter(0.01) GRANULARITY 4
