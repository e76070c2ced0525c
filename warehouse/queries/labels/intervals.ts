/**
 * SQL fragments that put a report's rows under the labels in force at their time. A label is in
 * force from an `add` until the next event of the same label, customer and WABA scope (a `remove`,
 * or another `add`, which starts a new range); the last `add` holds until further notice. A label
 * without a WABA holds in every WABA. A stored label `order/paid` matches an asked `order`
 * (hierarchy by `/`) and `order/paid` itself.
 *
 * The ranges are read once per change of the label events, into the label sets in force over time
 * (dictionary `label_spans_v1`, migration 0602): a row's labels are one lookup by its customer, WABA
 * and time, giving the id of its label set, matched against the handful of sets there are.
 *
 * Every fragment reads the parameters `{labels:Array(String)}` (asked labels, empty: no filter) and
 * `{label_match:String}` (`any` or `all`); `labelParams` declares them for a query's zod schema.
 */
import { z } from 'zod';
import { LABEL_SETS, labelSetAt } from './spans.ts';

export const labelParams = {
  labels: z.array(z.string()).default([]),
  label_match: z.enum(['any', 'all']).default('any'),
};

/** Whether a stored label (an expression) is one of the asked labels or below one of them. */
export function matchesAsked(label: string): string {
  return `arrayExists(r -> ${label} = r OR startsWith(${label}, concat(r, '/')), {labels:Array(String)})`;
}

/** The label sets, each with its labels limited to the asked ones when `onlyAsked` (and some are asked). */
const sets = (onlyAsked: boolean | 'when-asked') =>
  onlyAsked === false
    ? `SELECT set_id, labels FROM (${LABEL_SETS})`
    : `SELECT set_id, arrayFilter(l -> empty({labels:Array(String)}) OR ${matchesAsked('l')}, labels) AS labels FROM (${LABEL_SETS})
       WHERE ${onlyAsked === true ? 'notEmpty({labels:Array(String)}) AND ' : ''}notEmpty(labels)`;

/**
 * `items` is a SELECT of `item_id, waba_id, wa_id, at` (a wait, a message, a charge): each item
 * with the labels in force at its `at` (items without any are left out); `onlyAsked`: only the asked
 * labels (`true`: none without asked labels; `'when-asked'`: all of them without).
 */
export function labelsInForce(items: string, onlyAsked: boolean | 'when-asked'): string {
  return `
SELECT x.item_id AS item_id, s.labels AS labels
FROM (SELECT item_id, ${labelSetAt('waba_id', 'wa_id', 'at')} AS label_set FROM (${items})) AS x
INNER JOIN (${sets(onlyAsked)}) AS s ON s.set_id = x.label_set`;
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
 * `labelGroups` and `labelCondition` in one join (the items read once): the rows repeated per
 * label, and the condition `labelled` (put it in the WHERE) that keeps, with asked labels, only rows
 * whose labels match them. Without asked labels every row stays ('' without one). `repeat` false:
 * each row once (the condition only).
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
 * time (`at`, a column name) themselves: each row's label set is looked up where it is, with no join
 * by id. Same rows and labels as `labelRows`. `rows` is a SELECT; the answer is a SELECT of its
 * columns (with `label` when `repeat`).
 */
export function labelledRows(rows: string, at: string, repeat: boolean): string {
  return labelSetRows(`SELECT *, ${labelSetAt('waba_id', 'wa_id', at)} AS label_set FROM (${rows})`, repeat);
}

/**
 * `labelledRows` for rows that carry `label_set` already (`sla_waits_v1` stores the set in force when
 * each wait started, computed as it was written). `rows` is a SELECT with a `label_set` column; the
 * answer is a SELECT of its other columns (with `label` when `repeat`, '' for a row without labels;
 * with asked labels, only those that match them).
 */
export function labelSetRows(rows: string, repeat: boolean): string {
  const matching = `SELECT set_id FROM (${LABEL_SETS}) WHERE ${MATCH}`;
  const where = `WHERE empty({labels:Array(String)}) OR rw.label_set IN (${matching})`;
  if (!repeat) return `SELECT rw.* EXCEPT (label_set) FROM (${rows}) AS rw ${where}`;
  return `SELECT rw.* EXCEPT (label_set), label FROM (${rows}) AS rw
LEFT JOIN (SELECT set_id, arrayFilter(l -> empty({labels:Array(String)}) OR ${matchesAsked('l')}, labels) AS shown FROM (${LABEL_SETS})) AS ls ON ls.set_id = rw.label_set
ARRAY JOIN if(empty(ls.shown), [''], ls.shown) AS label
${where}`;
}
