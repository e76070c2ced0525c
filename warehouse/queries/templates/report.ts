import { z } from 'zod';

/**
 * The cells the templates report sums: one per (label, WABA, local send day, template, language,
 * campaign, attribution, category, charge day, market, billable) with counts. They are read from
 * the derived template sends (sends.ts, where the rules are): the funnel cells with `charged` 0,
 * and the charge cells with only `charged` counted.
 */

const num = z.coerce.number();

export const templateCellSchema = z.object({
  /** The customer's label at send time (group_by=label); '' otherwise. */
  label: z.string().default(''),
  waba_id: z.string(),
  day: z.string(),
  template: z.string(),
  language: z.string(),
  campaign: z.string(),
  attribution: z.string(),
  category: z.string(),
  charge_day: z.string(),
  market: z.string(),
  billable: num,
  sent: num,
  delivered: num,
  read: num,
  replied: num,
  clicked: num,
  failed: num,
  failed_131049: num,
  failed_131050: num,
  opted_out: num,
  sent_not_delivered: num,
  charged: num,
});
export type TemplateCell = z.infer<typeof templateCellSchema>;
