import { z } from 'zod';
import type { Config, Tenant } from '../../app/config.ts';
import { DEFAULT_CALLING_CODES } from './markets.ts';
import { calendarOf, isZone, type LocalCalendar } from './zone.ts';

/**
 * The `billing` section of CONFIG_FILE, validated here (the app config keeps it open), plus the
 * tenant facts billing needs: each WABA's time zone, currency and business portfolio.
 */

export const billingConfigSchema = z
  .object({
    /** Mapping of calling codes to rate-card markets (Meta's CSV shape). */
    calling_codes_file: z.string().default(DEFAULT_CALLING_CODES),
    facts: z
      .object({
        schedule: z.string().default('30 */5 * * * *'),
        /** Statuses younger than this are left for the next run (their commit may still be in flight). */
        lag_seconds: z.number().int().min(0).default(10),
        /** Each run reads this far behind its watermark again; rebuilding a fact twice changes nothing. */
        overlap_seconds: z.number().int().min(0).default(300),
        page_size: z.number().int().positive().default(50_000),
      })
      .default({ schedule: '30 */5 * * * *', lag_seconds: 10, overlap_seconds: 300, page_size: 50_000 }),
    forecast: z
      .object({
        snapshot_schedule: z.string().default('0 15 * * * *'),
        history_days: z.number().int().min(7).max(366).default(56),
        confidence: z.number().gt(0).lt(1).default(0.9),
        compare_months: z.number().int().min(0).max(24).default(3),
      })
      .default({ snapshot_schedule: '0 15 * * * *', history_days: 56, confidence: 0.9, compare_months: 3 }),
  })
  .default({
    calling_codes_file: DEFAULT_CALLING_CODES,
    facts: { schedule: '30 */5 * * * *', lag_seconds: 10, overlap_seconds: 300, page_size: 50_000 },
    forecast: { snapshot_schedule: '0 15 * * * *', history_days: 56, confidence: 0.9, compare_months: 3 },
  });

export type BillingConfig = z.infer<typeof billingConfigSchema>;

export function billingConfig(config: Config): BillingConfig {
  const parsed = billingConfigSchema.safeParse(config.file.billing ?? {});
  if (!parsed.success) throw new Error(`CONFIG_FILE billing: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export interface TenantInfo {
  wabaId: string;
  name: string;
  zone: string;
  currency: string;
  portfolio: string;
  configured: boolean;
  phoneNumbers: Tenant['phone_numbers'];
}

export class Tenants {
  private byId = new Map<string, Tenant>();
  private infos = new Map<string, TenantInfo>();

  constructor(tenants: readonly Tenant[]) {
    for (const t of tenants) this.byId.set(t.waba_id, t);
  }

  /** A WABA without configuration bills in UTC months and USD. */
  of(wabaId: string): TenantInfo {
    let info = this.infos.get(wabaId);
    if (!info) {
      if (this.infos.size > 10_000) this.infos.clear();
      this.infos.set(wabaId, (info = this.describe(wabaId)));
    }
    return info;
  }

  private describe(wabaId: string): TenantInfo {
    const t = this.byId.get(wabaId);
    const zone = t && isZone(t.time_zone) ? t.time_zone : 'UTC';
    return {
      wabaId,
      name: t?.name ?? '',
      zone,
      currency: t?.currency ?? 'USD',
      portfolio: t?.business_portfolio_id ?? '',
      configured: t !== undefined,
      phoneNumbers: t?.phone_numbers ?? [],
    };
  }

  calendarOf(wabaId: string): LocalCalendar {
    return calendarOf(this.of(wabaId).zone);
  }

  configured(): string[] {
    return [...this.byId.keys()];
  }

  /** WABAs sharing a business portfolio (volume tiers are portfolio-wide). */
  portfolioOf(wabaId: string): string[] {
    const p = this.of(wabaId).portfolio;
    if (!p) return [wabaId];
    return [...new Set([wabaId, ...[...this.byId.values()].filter((t) => t.business_portfolio_id === p).map((t) => t.waba_id)])];
  }

  displayNumber(wabaId: string, phoneNumberId: string): string {
    return this.byId.get(wabaId)?.phone_numbers.find((p) => p.phone_number_id === phoneNumberId)?.display_phone_number ?? '';
  }
}
