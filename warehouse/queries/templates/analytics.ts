import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { TEMPLATE_ANALYTICS } from '../../schema/templates.ts';

/** Rows of an imported `template_analytics` response. */
export const insertAnalytics = defineInsert({ name: 'templates.analytics.insert', table: TEMPLATE_ANALYTICS.name, row: TEMPLATE_ANALYTICS.row });

const IN_WABAS = `(length({wabas:Array(String)}) = 0 OR waba_id IN {wabas:Array(String)})`;
const num = z.coerce.number();

/** Meta's data points of the range's UTC days. */
export const analyticsPoints = defineQuery({
  name: 'templates.analytics.points',
  sql: `SELECT waba_id, template_id, toString(p.day) AS day_text, sent, delivered, read, clicked, amount_spent
        FROM {{db}}.template_analytics_v1 AS p FINAL
        WHERE ${IN_WABAS} AND p.day >= toDate(fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')) AND p.day < toDate(fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC'))
        ORDER BY waba_id, template_id, p.day`,
  params: z.object({ wabas: z.array(z.string()), from_ms: z.number().int(), to_ms: z.number().int() }),
  row: z.object({ waba_id: z.string(), template_id: z.string(), day_text: z.string(), sent: num, delivered: num, read: num, clicked: num, amount_spent: num.nullable() }),
  format: 'compact',
});

/** Template id → name and language: the imported catalogue first, else the latest template webhook. */
export const templateNames = defineQuery({
  name: 'templates.analytics.names',
  sql: `SELECT waba_id, template_id, argMax(name, (pri, at)) AS name, argMax(language, (pri, at)) AS language FROM (
          SELECT waba_id, template_id, name, toString(language) AS language, toUInt8(1) AS pri, toDateTime64(imported_at, 3, 'UTC') AS at
          FROM {{db}}.template_catalog_v1 FINAL
          WHERE ${IN_WABAS} AND template_id != ''
          UNION ALL
          SELECT waba_id, toString(template_id) AS template_id, template_name AS name, toString(template_language) AS language, toUInt8(0) AS pri,
                 toDateTime64(entry_time, 3, 'UTC') AS at
          FROM {{db}}.management_events_v1
          WHERE ${IN_WABAS} AND toString(template_id) != '' AND template_name != ''
        ) GROUP BY waba_id, template_id`,
  params: z.object({ wabas: z.array(z.string()) }),
  row: z.object({ waba_id: z.string(), template_id: z.string(), name: z.string(), language: z.string() }),
  format: 'compact',
});
