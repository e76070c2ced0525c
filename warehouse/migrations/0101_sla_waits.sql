-- Customer waits (one row per wait and response family), maintained by the SLA job from the message,
-- status and echo tables. A chat recomputed after late events replaces its rows (higher version);
-- a wait that no longer exists gets a row with is_deleted = 1. Read with FINAL.
CREATE TABLE IF NOT EXISTS {{db}}.sla_waits_v1 {{on_cluster}}
(
    wait_id                   String,
    waba_id                   String,
    phone_number_id           String,
    wa_id                     String,
    family                    LowCardinality(String),  -- human | any
    kind                      LowCardinality(String),  -- first | next | reply_to_business
    seq                       UInt32,                  -- wait number within its thread
    thread_started_at         DateTime64(3, 'UTC'),
    initiator                 LowCardinality(String),  -- customer | business
    entry_point               LowCardinality(String),  -- ctwa | direct
    start_wamid               String,
    started_at                DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    last_inbound_at           DateTime64(3, 'UTC'),
    window_expires_at         DateTime64(3, 'UTC'),
    responded_at              Nullable(DateTime64(3, 'UTC')),
    response_wamid            String,
    response_seconds          Nullable(Float64),
    business_response_seconds Nullable(Float64),
    responder                 LowCardinality(String),  -- human | bot | automation | unknown, '' while open
    agent                     String,
    team                      String,
    owner_team                String,                  -- team of the chat's latest tagged business message before the wait
    response_template         Bool,
    replied_in_window         Nullable(Bool),
    time_to_deliver_seconds   Nullable(Float64),
    time_to_read_seconds      Nullable(Float64),
    calendar_id               String,
    calendar_version          String,
    sla_policy                String,
    sla_target_seconds        Nullable(UInt32),
    sla_mode                  LowCardinality(String),  -- calendar | business, '' without a policy
    due_at                    Nullable(DateTime64(3, 'UTC')),
    sla_status                LowCardinality(String),  -- achieved | breached | open | excluded (open turns breached at read time)
    version                   UInt64,
    is_deleted                UInt8,
    INDEX wa_id_idx wa_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = {{replicated:ReplacingMergeTree(version, is_deleted)}}
PARTITION BY toYYYYMM(started_at)
ORDER BY (waba_id, family, started_at, phone_number_id, wait_id);

-- Progress of the SLA job: events received up to the watermark are reflected in sla_waits_v1, for the
-- configuration with this fingerprint. Two instances writing the same state collapse to one row.
CREATE TABLE IF NOT EXISTS {{db}}.sla_job_state_v1 {{on_cluster}}
(
    job            String,
    watermark      DateTime64(3, 'UTC'),
    config_hash    String,
    updated_at     DateTime64(3, 'UTC')
)
ENGINE = {{replicated:ReplacingMergeTree(watermark)}}
ORDER BY job
