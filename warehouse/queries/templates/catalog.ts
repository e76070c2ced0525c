import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { TEMPLATE_CATALOG } from '../../schema/templates.ts';
import { templateChangeSchema } from './history.ts';

/** Rows of an imported `message_templates` response. */
export const insertCatalog = defineInsert({ name: 'templates.catalog.insert', table: TEMPLATE_CATALOG.name, row: TEMPLATE_CATALOG.row });

const IN_WABAS = `(length({wabas:Array(String)}) = 0 OR waba_id IN {wabas:Array(String)})`;

/** The latest imported entry of each template (category as the pricing object spells it: lower case). */
export const catalogCategories = defineQuery({
  name: 'templates.catalog.categories',
  sql: `SELECT waba_id, name, toString(language) AS language, lower(toString(category)) AS category
        FROM {{db}}.template_catalog_v1 FINAL WHERE ${IN_WABAS} AND category != ''`,
  params: z.object({ wabas: z.array(z.string()) }),
  row: z.object({ waba_id: z.string(), name: z.string(), language: z.string(), category: z.string() }),
  format: 'compact',
});

/**
 * History rows from the catalogue (field `catalogue`, event `status`/`quality`/`category`, at the
 * import time) for what no webhook of that kind ever said about the template.
 */
export const catalogChanges = defineQuery({
  name: 'templates.catalog.changes',
  sql: `SELECT c.waba_id AS waba_id, concat(replaceOne(toString(c.imported_at), ' ', 'T'), 'Z') AS at, 'catalogue' AS field,
               c.template_id AS template_id, c.name AS template, toString(c.language) AS language, kv.1 AS event, '' AS previous,
               kv.2 AS value, if(kv.1 = 'status', c.rejected_reason, '') AS reason
        FROM (
          SELECT * FROM {{db}}.template_catalog_v1 FINAL
          WHERE ${IN_WABAS} AND imported_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND imported_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
        ) AS c
        ARRAY JOIN [('status', toString(c.status), 'message_template_status_update'), ('quality', toString(c.quality), 'message_template_quality_update'),
                    ('category', toString(c.category), 'template_category_update')] AS kv
        WHERE kv.2 != '' AND (c.waba_id, c.name, toString(c.language), kv.3) NOT IN (
          SELECT waba_id, template_name, toString(template_language), toString(field) FROM {{db}}.management_events_v1 WHERE ${IN_WABAS}
        )
        ORDER BY waba_id, at, template, event`,
  params: z.object({ wabas: z.array(z.string()), from_ms: z.number().int(), to_ms: z.number().int() }),
  row: templateChangeSchema,
});
