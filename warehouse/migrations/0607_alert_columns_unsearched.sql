-- The alerts' items, firings and rule state hold what the alert messages carry: pseudonymous ids
-- (the keyed hash of a contact) and figures, never a number, name or text in clear
-- (reports/alerts/message.ts). The free-text search for a person's traces leaves them out
-- (`find=none`): at 10 M events with a thousand rules the items alone are 1.4 GB of JSON, about 1 s
-- of every access export and erasure, and a search of them could only ever find nothing.
ALTER TABLE {{db}}.alert_rule_items_v1 {{on_cluster}}
    COMMENT COLUMN item_key 'pii:indirect; cat=metadata; purpose=support; protection=hmac; find=none',
    COMMENT COLUMN item_json 'pii:indirect; cat=metadata; purpose=support; protection=hmac; find=none';

ALTER TABLE {{db}}.alert_firings_v1 {{on_cluster}}
    COMMENT COLUMN payload_json 'pii:indirect; cat=metadata; purpose=support; protection=hmac; find=none';

ALTER TABLE {{db}}.alert_rule_state_v1 {{on_cluster}}
    COMMENT COLUMN state_json 'pii:indirect; cat=metadata; purpose=support; protection=hmac; find=none'
