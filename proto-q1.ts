const F = `fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')`, T = `fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`;
const IN_WABAS = `(length({wabas:Array(String)}) = 0 OR waba_id IN {wabas:Array(String)})`;
const REFERRALS = `
  SELECT waba_id, phone_number_id, wa_id, wamid, ts, referral_source_id AS source_id, toString(referral_source_type) AS source_type,
         referral_headline AS headline, referral_ctwa_clid AS ctwa_clid
  FROM {{db}}.messages_v1
  WHERE ${IN_WABAS} AND ts >= ${F} AND ts < ${T} AND (referral_source_id != '' OR referral_ctwa_clid != '')
  LIMIT 1 BY waba_id, wamid`;
const REFERRED = `(SELECT DISTINCT waba_id, wa_id FROM referrals)`;
const OUTBOUND = `
  SELECT waba_id, phone_number_id, argMinIf(recipient_id, ts, recipient_id != '') AS wa_id, wamid, min(ts) AS first_ts,
         countIf(pricing_type = 'free_entry_point' OR (pricing_model = 'CBP' AND pricing_category = 'referral_conversion')) > 0 AS fep
  FROM {{db}}.statuses_v1
  WHERE ${IN_WABAS} AND ts >= ${F} AND ts < ${T} + INTERVAL 4 DAY AND wamid != ''
    AND (recipient_id = '' OR (waba_id, recipient_id) IN ${REFERRED})
  GROUP BY waba_id, phone_number_id, wamid
  HAVING (waba_id, wa_id) IN ${REFERRED}`;
const W = (m: string) => `WITH referrals AS ${m} (${REFERRALS}), outbound AS ${m} (${OUTBOUND}) `;
const OUTBOUND_PRE = OUTBOUND.replace('WHERE ${IN_WABAS}', 'PREWHERE (recipient_id = \'\' OR (waba_id, recipient_id) IN ${REFERRED}) WHERE ${IN_WABAS}');
const OUTBOUND_PRE2 = `
  SELECT waba_id, phone_number_id, argMinIf(recipient_id, ts, recipient_id != '') AS wa_id, wamid, min(ts) AS first_ts,
         countIf(pricing_type = 'free_entry_point' OR (pricing_model = 'CBP' AND pricing_category = 'referral_conversion')) > 0 AS fep
  FROM {{db}}.statuses_v1
  PREWHERE (recipient_id = '' OR (waba_id, recipient_id) IN ${REFERRED}) AND ts >= ${F} AND ts < ${T} + INTERVAL 4 DAY
  WHERE ${IN_WABAS} AND wamid != ''
  GROUP BY waba_id, phone_number_id, wamid
  HAVING (waba_id, wa_id) IN ${REFERRED}`;
const outboundPre = () => `WITH referrals AS MATERIALIZED (${REFERRALS}), outbound AS (${OUTBOUND_PRE}) SELECT count(), sum(fep) FROM outbound`;
export const outboundPre2 = () => `WITH referrals AS MATERIALIZED (${REFERRALS}), outbound AS (${OUTBOUND_PRE2}) SELECT count(), sum(fep) FROM outbound`;
const outboundNoGroup = () => `WITH referrals AS MATERIALIZED (${REFERRALS}) SELECT count() FROM {{db}}.statuses_v1 PREWHERE (recipient_id = '' OR (waba_id, recipient_id) IN ${REFERRED}) AND ts >= ${F} AND ts < ${T} + INTERVAL 4 DAY`;
const outboundOnce = () => `${W('')} SELECT count(), sum(fep) FROM outbound`;
const outboundMat = () => `${W('MATERIALIZED')} SELECT count(), sum(fep) FROM outbound`;
const answerJoin = () => `${W('')} SELECT count() FROM referrals AS x
          ASOF JOIN outbound AS o ON x.waba_id = o.waba_id AND x.phone_number_id = o.phone_number_id AND x.wa_id = o.wa_id AND x.ts <= o.first_ts`;
const fepJoin = () => `${W('')} SELECT count() FROM (SELECT * FROM outbound WHERE fep) AS o
          ASOF JOIN referrals AS x ON o.waba_id = x.waba_id AND o.phone_number_id = x.phone_number_id AND o.wa_id = x.wa_id AND o.first_ts >= x.ts`;
const fepJoinMat = () => `${W('MATERIALIZED')} SELECT count() FROM (SELECT * FROM outbound WHERE fep) AS o
          ASOF JOIN referrals AS x ON o.waba_id = x.waba_id AND o.phone_number_id = x.phone_number_id AND o.wa_id = x.wa_id AND o.first_ts >= x.ts`;
export const inOrder = () => `WITH referrals AS MATERIALIZED (${REFERRALS}), outbound AS (${OUTBOUND_PRE2}) SELECT count(), sum(fep) FROM outbound SETTINGS optimize_aggregation_in_order = 1`;
