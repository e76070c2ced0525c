/**
 * SQL fragments that put a report's rows under the labels in force at their time. A label is in
 * force from an `add` until the next event of the same label, customer and WABA scope (a `remove`,
 * or another `add`, which starts a new range); the last `add` holds until further notice. A stored
 * label `order/paid` matches an asked `order` (hierarchy by `/`) and `order/paid` itself.
 *
 * Every fragment reads the parameters `{labels:Array(String)}` (asked labels, empty: no filter) and
 * `{label_match:String}` (`any` or `all`); `labelParams` declares them for a query's zod schema.
 */
import { z } from 'zod';
import { LABEL_SETS } from './spans.ts';

export const labelParams = {
  labels: z.array(z.string()).default([]),
  label_match: z.enum(['any', 'all']).default('any'),
};

/** Ranges start at an `add` and end at the label's next event, or far in the future. */
const intervals = (onlyAsked: boolean | 'when-asked') => `
SELECT waba_id, wa_id, label, at AS valid_from, valid_to FROM (
  SELECT waba_id, wa_id, label, action, at,
    leadInFrame(at, 1, toDateTime64('2200-01-01 00:00:00', 3, 'UTC'))
      OVER (PARTITION BY waba_id, wa_id, label ORDER BY at, action ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS valid_to
  FROM {{db}}.label_events_v1 FINAL
  ${onlyAsked === 'when-asked' ? `WHERE empty({labels:Array(String)}) OR ${matchesAsked('label')}` : onlyAsked ? `WHERE notEmpty({labels:Array(String)}) AND ${matchesAsked('label')}` : ''}
) WHERE action = 'add' AND valid_to > valid_from`;

/** Whether a stored label (an expression) is one of the asked labels or below one of them. */
export function matchesAsked(label: string): string {
  return `arrayExists(r -> ${label} = r OR startsWith(${label}, concat(r, '/')), {labels:Array(String)})`;
}

/**
 * `items` is a SELECT of `item_id, waba_id, wa_id, at` (a wait, a message, a charge): each item
 * with the labels in force at its `at` (items without any are left out). A label without a WABA
 * holds in every WABA.
 */
export function labelsInForce(items: string, onlyAsked: boolean | 'when-asked'): string {
  return `
SELECT x.item_id AS item_id, groupUniqArray(i.label) AS labels
FROM (${items}) AS x
INNER JOIN (${intervals(onlyAsked)}) AS i ON i.wa_id = x.wa_id
WHERE (i.waba_id = '' OR i.waba_id = x.waba_id) AND x.at >= i.valid_from AND x.at < i.valid_to
GROUP BY x.item_id`;
}

/** The item's labels (an array expression) hold every asked label (`all`) or one of them (`any`). */
const matches = (labels: string) => `if({label_match:String} = 'all',
  arrayAll(r -> arrayExists(l -> l = r OR startsWith(l, concat(r, '/')), ${labels}), {labels:Array(String)}),
  arrayExists(r -> arrayExists(l -> l = r OR startsWith(l, concat(r, '/')), ${labels}), {labels:Array(String)}))`;
const MATCH = matches('labels');

/** A condition on `idColumn` of the outer query: true without asked labels, else the item matches. */
export function labelCondition(idColumn: string, items: string): string {
  return `(empty({labels:Array(String)}) OR ${idColumn} IN (SELECT item_id FROM (${labelsInForce(items, true)}) WHERE ${MATCH}))`;
}

/**
 * Joins a query's rows (aliased as `alias`, with an id column `idColumn`) to their labels and
 * repeats each row once per label as column `label` ('' for a row without labels; with asked
 * labels, only the labels that match them). A row under two labels counts in both groups.
 */
export function labelGroups(alias: string, idColumn: string, items: string): string {
  return `AS ${alias} LEFT JOIN (${labelsInForce(items, false)}) AS lb ON ${alias}.${idColumn} = lb.item_id
ARRAY JOIN if(empty(arrayFilter(l -> empty({labels:Array(String)}) OR ${matchesAsked('l')}, lb.labels)), [''],
  arrayFilter(l -> empty({labels:Array(String)}) OR ${matchesAsked('l')}, lb.labels)) AS label`;
}

/**
 * `labelGroups` and `labelCondition` in one join (the items and the label ranges read once): the
 * rows repeated per label, and the condition `labelled` (put it in the WHERE) that keeps, with asked
 * labels, only rows whose labels match them. Without asked labels every row stays ('' without one).
 * `repeat` false: each row once (the condition only).
 */
export function labelRows(alias: string, idColumn: string, items: string, repeat = true): { join: string; labelled: string } {
  return {
    join: `AS ${alias} LEFT JOIN (SELECT item_id, labels, ${MATCH} AS matched FROM (${labelsInForce(items, 'when-asked')})) AS lb ON ${alias}.${idColumn} = lb.item_id
${repeat ? `ARRAY JOIN if(empty(lb.labels), [''], lb.labels) AS label` : ''}`,
    labelled: `(empty({labels:Array(String)}) OR lb.matched = 1)`,
  };
}

/**
 * `labelRows` for a query whose rows carry the customer (`wa_id`), the WABA (`waba_id`) and the
 * time (`at`) themselves: the rows are joined to one row per customer holding its label ranges
 * (small: only the asked labels when some are asked) and each row's labels are picked from them,
 * so the rows are read once and not grouped. Same rows and labels as `labelRows`.
 * `rows` is a SELECT; the answer is a SELECT of its columns (with `label` when `repeat`).
 */
export function labelledRows(rows: string, at: string, repeat: boolean): string {
  const held = `arrayDistinct(arrayFilter((l, w, f, t) -> (w = '' OR w = rw.waba_id) AND rw.${at} >= f AND rw.${at} < t, lr.ls, lr.ws, lr.fs, lr.ts))`;
  return `SELECT * EXCEPT (item_labels)${repeat ? ', label' : ''} FROM (
  SELECT rw.*, ${held} AS item_labels FROM (${rows}) AS rw
  LEFT JOIN (SELECT wa_id, groupArray(label) AS ls, groupArray(waba_id) AS ws, groupArray(valid_from) AS fs, groupArray(valid_to) AS ts
             FROM (${intervals('when-asked')}) GROUP BY wa_id) AS lr ON lr.wa_id = rw.wa_id
) ${repeat ? `ARRAY JOIN if(empty(item_labels), [''], item_labels) AS label` : ''}
WHERE empty({labels:Array(String)}) OR ${matches('item_labels')}`;
}

/**
 * `labelledRows` for rows that carry `label_set`, the label set in force at their time as it was
 * computed when they were written (`sla_waits_v1`): one number per row, matched against the handful
 * of sets there are, so the rows are neither joined to the customers' ranges nor grouped. `rows` is a
 * SELECT with a `label_set` column; the answer is a SELECT of its other columns (with `label` when
 * `repeat`, '' for a row without labels; with asked labels, only those that match them).
 */
export function labelSetRows(rows: string, repeat: boolean): string {
  const matching = `SELECT set_id FROM (${LABEL_SETS}) WHERE ${matches('labels')}`;
  const where = `WHERE empty({labels:Array(String)}) OR rw.label_set IN (${matching})`;
  if (!repeat) return `SELECT rw.* EXCEPT (label_set) FROM (${rows}) AS rw ${where}`;
  return `SELECT rw.* EXCEPT (label_set), label FROM (${rows}) AS rw
LEFT JOIN (SELECT set_id, arrayFilter(l -> empty({labels:Array(String)}) OR ${matchesAsked('l')}, labels) AS shown FROM (${LABEL_SETS})) AS ls ON ls.set_id = rw.label_set
ARRAY JOIN if(empty(ls.shown), [''], ls.shown) AS label
${where}`;
}
