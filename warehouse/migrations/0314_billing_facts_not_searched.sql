-- The billing facts are built by the billing derivation from typed columns: business ids,
-- pricing enumerations and keyed message substitutes (HMAC), never text from a body. A person's
-- number or name cannot be written into them, so the free-text search for a person's traces
-- (export, erasure) leaves their columns out (`find=none`) instead of reading every fact each time:
-- the facts' sources (statuses, messages, raw bodies) are searched.

ALTER TABLE {{db}}.billing_statuses_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS phone_number_id 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS message_key 'none; cat=technical; protection=hmac; find=none',
    COMMENT COLUMN IF EXISTS status 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS conversation_id 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS conversation_origin_type 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS pricing_model 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS pricing_category 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS pricing_type 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS market 'none; cat=business; find=none';

ALTER TABLE {{db}}.billing_messages_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS wamid 'pii:indirect; cat=metadata; purpose=delivery; find=none',
    COMMENT COLUMN IF EXISTS phone_number_id 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS month 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS pricing_model 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS category 'pii:indirect; cat=metadata; purpose=delivery; find=none',
    COMMENT COLUMN IF EXISTS type 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS market 'pii:indirect; cat=metadata; purpose=delivery; find=none';

ALTER TABLE {{db}}.billing_conversations_v1 {{on_cluster}}
    COMMENT COLUMN IF EXISTS waba_id 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS conversation_id 'pii:indirect; cat=metadata; purpose=delivery; find=none',
    COMMENT COLUMN IF EXISTS phone_number_id 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS month 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS pricing_model 'none; cat=business; find=none',
    COMMENT COLUMN IF EXISTS category 'pii:indirect; cat=metadata; purpose=delivery; find=none',
    COMMENT COLUMN IF EXISTS market 'pii:indirect; cat=metadata; purpose=delivery; find=none';
