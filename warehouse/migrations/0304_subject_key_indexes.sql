-- Skip indexes on the subject keys that are not in a sort key, so that finding one person's rows
-- (access export, erasure and its verification, linked identifiers) reads only the granules that
-- may hold them: ClickHouse uses indexes for an OR only when every branch has one.

ALTER TABLE {{db}}.messages_v1 {{on_cluster}}
    ADD INDEX IF NOT EXISTS from_user_idx from_user_id TYPE bloom_filter(0.01) GRANULARITY 4,
    ADD INDEX IF NOT EXISTS new_wa_id_idx system_new_wa_id TYPE bloom_filter(0.01) GRANULARITY 4;

ALTER TABLE {{db}}.messages_v1 {{on_cluster}} MATERIALIZE INDEX from_user_idx;

ALTER TABLE {{db}}.messages_v1 {{on_cluster}} MATERIALIZE INDEX new_wa_id_idx;

ALTER TABLE {{db}}.statuses_v1 {{on_cluster}}
    ADD INDEX IF NOT EXISTS recipient_user_idx recipient_user_id TYPE bloom_filter(0.01) GRANULARITY 4,
    ADD INDEX IF NOT EXISTS participant_idx recipient_participant_id TYPE bloom_filter(0.01) GRANULARITY 4;

ALTER TABLE {{db}}.statuses_v1 {{on_cluster}} MATERIALIZE INDEX recipient_user_idx;

ALTER TABLE {{db}}.statuses_v1 {{on_cluster}} MATERIALIZE INDEX participant_idx
