import { z } from 'zod';
import type { Config } from '../../app/config.ts';
import { DEFAULT_OPT_OUT_KEYWORDS } from '../compliance/config.ts';

/**
 * The `templates` section of CONFIG_FILE: how long after a template's delivery the customer's next
 * message still counts as its reply, and how long after a send an opt-out is put down to it.
 */
export const templatesConfigSchema = z
  .object({
    reply_window_hours: z.number().positive().max(24 * 30).default(24),
    optout_window_hours: z.number().positive().max(24 * 30).default(72),
    /** Texts that mean "stop marketing" (compared upper-case, trimmed); default: the consent ledger's. */
    stop_keywords: z.array(z.string().min(1)).default([...DEFAULT_OPT_OUT_KEYWORDS]),
    /** When the `templates.sends` job catches up behind the follower (node-cron, seconds allowed). */
    sends_schedule: z.string().default('45 */5 * * * *'),
  })
  .default({ reply_window_hours: 24, optout_window_hours: 72, stop_keywords: [...DEFAULT_OPT_OUT_KEYWORDS], sends_schedule: '45 */5 * * * *' });

export type TemplatesConfig = z.infer<typeof templatesConfigSchema>;

export function templatesConfig(config: Config): TemplatesConfig {
  const parsed = templatesConfigSchema.safeParse((config.file as Record<string, unknown>).templates ?? {});
  if (!parsed.success) throw new Error(`CONFIG_FILE templates: ${z.prettifyError(parsed.error)}`);
  return { ...parsed.data, stop_keywords: parsed.data.stop_keywords.map((k) => k.trim().toUpperCase()) };
}
