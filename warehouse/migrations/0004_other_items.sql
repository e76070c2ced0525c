-- Messages typed in the WhatsApp Business app (Coexistence): human replies from the business.
CREATE TABLE IF NOT EXISTS {{db}}.message_echoes_v1 {{on_cluster}}
(
    waba_id              String,
    phone_number_id      String,
    display_phone_number String,
    wamid                String,
    from_number          String,
    to_wa_id             String,
    ts                   DateTime64(3, 'UTC'),
    type                 LowCardinality(String),
    text_body            String CODEC(ZSTD(3)),
    media_id             String,
    media_caption        String,
    raw_json             String CODEC(ZSTD(3)),
    body_sha256          String,
    received_at          DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
PARTITION BY toYYYYMM(ts)
ORDER BY (waba_id, phone_number_id, to_wa_id, wamid);

-- Marketing preference changes sent by users (stop / resume).
CREATE TABLE IF NOT EXISTS {{db}}.user_preferences_v1 {{on_cluster}}
(
    waba_id          String,
    phone_number_id  String,
    wa_id            String,
    user_id          String,
    ts               DateTime64(3, 'UTC'),
    category         LowCardinality(String),
    value            LowCardinality(String),
    detail           String,
    raw_json         String CODEC(ZSTD(3)),
    body_sha256      String,
    received_at      DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
ORDER BY (waba_id, wa_id, user_id, ts, category, value);

-- Contacts as Meta names them: wa_id, business-scoped user id, profile name (latest wins).
CREATE TABLE IF NOT EXISTS {{db}}.contacts_v1 {{on_cluster}}
(
    waba_id          String,
    phone_number_id  String,
    wa_id            String,
    user_id          String,
    profile_name     String,
    username         String,
    seen_at          DateTime64(3, 'UTC'),
    body_sha256      String,
    received_at      DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(seen_at)}}
ORDER BY (waba_id, wa_id, user_id, phone_number_id);

-- Template, phone-number and account events, and any other `field`, with its value kept as JSON.
CREATE TABLE IF NOT EXISTS {{db}}.management_events_v1 {{on_cluster}}
(
    waba_id            String,
    field              LowCardinality(String),
    entry_time         DateTime64(3, 'UTC'),
    event              LowCardinality(String),
    template_id        String,
    template_name      String,
    template_language  LowCardinality(String),
    reason             String,
    previous_category  LowCardinality(String),
    new_category       LowCardinality(String),
    quality_score      LowCardinality(String),
    phone_number       String,
    current_limit      String,
    tier               String,
    tier_category      LowCardinality(String),
    tier_effective_month String,
    tier_region        String,
    tier_update_time   Nullable(DateTime64(3, 'UTC')),
    known_field        Bool,
    value_json         String CODEC(ZSTD(3)),
    value_hash         UInt64,
    body_sha256        String,
    received_at        DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
ORDER BY (waba_id, field, entry_time, value_hash);

-- Errors Meta reports at the value level (system, app or account problems).
CREATE TABLE IF NOT EXISTS {{db}}.webhook_errors_v1 {{on_cluster}}
(
    waba_id          String,
    phone_number_id  String,
    field            LowCardinality(String),
    code             Nullable(Int32),
    title            String,
    message          String,
    details          String,
    raw_json         String CODEC(ZSTD(3)),
    item_path        String,
    body_sha256      String,
    received_at      DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
ORDER BY (waba_id, body_sha256, item_path);

-- Everything the normalizer did not recognise, kept with its path so it can be parsed later.
CREATE TABLE IF NOT EXISTS {{db}}.unknown_items_v1 {{on_cluster}}
(
    kind          LowCardinality(String),  -- envelope | field | message_type | status | value_key
    name          String,
    item_path     String,
    raw_json      String CODEC(ZSTD(3)),
    body_sha256   String,
    received_at   DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(received_at)}}
ORDER BY (body_sha256, item_path, kind, name)
