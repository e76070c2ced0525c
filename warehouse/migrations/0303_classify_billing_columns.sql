-- Personal-data classification of the billing module's tables (created by 0200–0204). They hold
-- no subject identifiers: message and conversation ids link to a person only through the ingest
-- tables, and phone numbers here are the business's own.

ALTER TABLE {{db}}.billing_messages_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS wamid 'pii:indirect; cat=metadata; purpose=delivery',
    COMMENT COLUMN IF EXISTS phone_number_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS month 'none; cat=business',
    COMMENT COLUMN IF EXISTS day 'none; cat=business',
    COMMENT COLUMN IF EXISTS charge_ts 'pii:indirect; cat=metadata; purpose=delivery',
    COMMENT COLUMN IF EXISTS pricing_model 'none; cat=business',
    COMMENT COLUMN IF EXISTS category 'pii:indirect; cat=metadata; purpose=delivery',
    COMMENT COLUMN IF EXISTS type 'none; cat=business',
    COMMENT COLUMN IF EXISTS billable 'none; cat=business',
    COMMENT COLUMN IF EXISTS counted 'none; cat=technical',
    COMMENT COLUMN IF EXISTS market 'pii:indirect; cat=metadata; purpose=delivery',
    COMMENT COLUMN IF EXISTS source_received_at 'none; cat=technical';

ALTER TABLE {{db}}.billing_conversations_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS conversation_id 'pii:indirect; cat=metadata; purpose=delivery',
    COMMENT COLUMN IF EXISTS phone_number_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS month 'none; cat=business',
    COMMENT COLUMN IF EXISTS day 'none; cat=business',
    COMMENT COLUMN IF EXISTS first_ts 'pii:indirect; cat=metadata; purpose=delivery',
    COMMENT COLUMN IF EXISTS pricing_model 'none; cat=business',
    COMMENT COLUMN IF EXISTS category 'pii:indirect; cat=metadata; purpose=delivery',
    COMMENT COLUMN IF EXISTS billable 'none; cat=business',
    COMMENT COLUMN IF EXISTS draws_on_free_tier 'none; cat=business',
    COMMENT COLUMN IF EXISTS counted 'none; cat=technical',
    COMMENT COLUMN IF EXISTS market 'pii:indirect; cat=metadata; purpose=delivery',
    COMMENT COLUMN IF EXISTS source_received_at 'none; cat=technical';

ALTER TABLE {{db}}.billing_job_state_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS job 'none; cat=technical',
    COMMENT COLUMN IF EXISTS watermark 'none; cat=technical',
    COMMENT COLUMN IF EXISTS pending_periods 'none; cat=technical',
    COMMENT COLUMN IF EXISTS updated_at 'none; cat=technical';

ALTER TABLE {{db}}.billing_daily_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS month 'none; cat=business',
    COMMENT COLUMN IF EXISTS day 'none; cat=business',
    COMMENT COLUMN IF EXISTS kind 'none; cat=business',
    COMMENT COLUMN IF EXISTS pricing_model 'none; cat=business',
    COMMENT COLUMN IF EXISTS category 'none; cat=business',
    COMMENT COLUMN IF EXISTS market 'none; cat=business',
    COMMENT COLUMN IF EXISTS type 'none; cat=business',
    COMMENT COLUMN IF EXISTS phone_number_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS tier 'none; cat=business',
    COMMENT COLUMN IF EXISTS count 'none; cat=business',
    COMMENT COLUMN IF EXISTS billable_count 'none; cat=business',
    COMMENT COLUMN IF EXISTS free_count 'none; cat=business',
    COMMENT COLUMN IF EXISTS free_tier_used 'none; cat=business',
    COMMENT COLUMN IF EXISTS draws_on_tier 'none; cat=business',
    COMMENT COLUMN IF EXISTS version 'none; cat=technical';

ALTER TABLE {{db}}.billing_rate_cards_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS currency 'none; cat=business',
    COMMENT COLUMN IF EXISTS kind 'none; cat=business',
    COMMENT COLUMN IF EXISTS effective_from 'none; cat=business',
    COMMENT COLUMN IF EXISTS loaded_at 'none; cat=technical',
    COMMENT COLUMN IF EXISTS source_name 'none; cat=technical',
    COMMENT COLUMN IF EXISTS source_sha256 'none; cat=technical',
    COMMENT COLUMN IF EXISTS loaded_by 'pii:indirect; cat=staff; purpose=delivery',
    COMMENT COLUMN IF EXISTS market 'none; cat=business',
    COMMENT COLUMN IF EXISTS category 'none; cat=business',
    COMMENT COLUMN IF EXISTS tier 'none; cat=business',
    COMMENT COLUMN IF EXISTS price 'none; cat=business',
    COMMENT COLUMN IF EXISTS line 'none; cat=technical';

ALTER TABLE {{db}}.billing_forecast_snapshots_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS month 'none; cat=business',
    COMMENT COLUMN IF EXISTS snapshot_date 'none; cat=business',
    COMMENT COLUMN IF EXISTS pricing_model 'none; cat=business',
    COMMENT COLUMN IF EXISTS category 'none; cat=business',
    COMMENT COLUMN IF EXISTS actual_to_date 'none; cat=business',
    COMMENT COLUMN IF EXISTS forecast 'none; cat=business',
    COMMENT COLUMN IF EXISTS low 'none; cat=business',
    COMMENT COLUMN IF EXISTS high 'none; cat=business',
    COMMENT COLUMN IF EXISTS amount_to_date 'none; cat=business',
    COMMENT COLUMN IF EXISTS amount_forecast 'none; cat=business',
    COMMENT COLUMN IF EXISTS currency 'none; cat=business',
    COMMENT COLUMN IF EXISTS created_at 'none; cat=technical';

ALTER TABLE {{db}}.billing_meta_analytics_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business',
    COMMENT COLUMN IF EXISTS source 'none; cat=business',
    COMMENT COLUMN IF EXISTS import_id 'none; cat=technical',
    COMMENT COLUMN IF EXISTS imported_at 'none; cat=technical',
    COMMENT COLUMN IF EXISTS day 'none; cat=business',
    COMMENT COLUMN IF EXISTS start_ts 'none; cat=business',
    COMMENT COLUMN IF EXISTS category 'none; cat=business',
    COMMENT COLUMN IF EXISTS type 'none; cat=business',
    COMMENT COLUMN IF EXISTS country 'none; cat=business',
    COMMENT COLUMN IF EXISTS phone 'none; cat=business',
    COMMENT COLUMN IF EXISTS tier 'none; cat=business',
    COMMENT COLUMN IF EXISTS volume 'none; cat=business',
    COMMENT COLUMN IF EXISTS cost 'none; cat=business';
