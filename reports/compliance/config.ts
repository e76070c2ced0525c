import { z } from 'zod';
import type { FileConfig } from '../../app/config.ts';

/**
 * The `privacy` section of CONFIG_FILE: who the controller is, what the service processes and why
 * (records of processing), where it is stored, how long each table is kept, and which words a
 * customer uses to opt out. Every field has a default so the service runs without the section.
 */

const contact = z.object({ name: z.string().default(''), email: z.string().default(''), address: z.string().default('') });

const activitySchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/),
  name: z.string(),
  purposes: z.array(z.string()).default([]),
  legal_basis_gdpr: z.string().default(''),
  legal_basis_lgpd: z.string().default(''),
  subject_categories: z.array(z.string()).default(['customers (WhatsApp users)']),
  recipients: z.array(z.string()).default([]),
  processors: z.array(z.string()).default([]),
  special_categories: z.string().default('possible in free-text message content'),
  lia_ref: z.string().default(''),
  dpia_ref: z.string().default(''),
  last_reviewed_at: z.string().default(''),
  reviewed_by: z.string().default(''),
});
export type ProcessingActivity = z.infer<typeof activitySchema>;

const DEFAULT_ACTIVITIES: z.input<typeof activitySchema>[] = [
  {
    id: 'support',
    name: 'WhatsApp customer support conversations',
    purposes: ['answer customer messages', 'measure response times'],
    legal_basis_gdpr: 'Art. 6(1)(b) contract / 6(1)(f) legitimate interest',
    legal_basis_lgpd: 'Art. 7 V (contract) / IX (legitimate interest)',
    processors: ['Meta Platforms (WhatsApp Cloud API)', 'ClickHouse hosting'],
  },
  {
    id: 'delivery',
    name: 'Delivery, conversation and billing analytics',
    purposes: ['reconcile Meta charges', 'monitor delivery'],
    legal_basis_gdpr: 'Art. 6(1)(f) legitimate interest',
    legal_basis_lgpd: 'Art. 7 IX (legitimate interest)',
    processors: ['Meta Platforms (WhatsApp Cloud API)'],
  },
  {
    id: 'marketing',
    name: 'Marketing messages and consent management',
    purposes: ['send marketing templates to opted-in customers', 'honour opt-outs'],
    legal_basis_gdpr: 'Art. 6(1)(a) consent',
    legal_basis_lgpd: 'Art. 7 I (consent)',
    processors: ['Meta Platforms (WhatsApp Cloud API)'],
  },
  {
    id: 'compliance',
    name: 'Legal obligations: rights requests, erasure proof, access audit',
    purposes: ['answer data-subject requests', 'demonstrate compliance'],
    legal_basis_gdpr: 'Art. 6(1)(c) legal obligation',
    legal_basis_lgpd: 'Art. 7 II (legal or regulatory obligation)',
    subject_categories: ['customers (WhatsApp users)', 'staff using the service'],
  },
  {
    id: 'operations',
    name: 'Operating and securing the webhook store',
    purposes: ['keep the exact delivered webhook for replay and integrity checks'],
    legal_basis_gdpr: 'Art. 6(1)(f) legitimate interest',
    legal_basis_lgpd: 'Art. 7 IX (legitimate interest)',
  },
];

const tablePolicySchema = z.object({
  /** Days a row is kept after its time column; null keeps it without limit. */
  days: z.number().int().positive().nullable(),
  time_column: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  /** Days free-text content columns (classified pii:content) are kept, when shorter than the row. */
  content_days: z.number().int().positive().nullable().default(null),
});

const transferSchema = z.object({
  recipient: z.string(),
  country: z.string().length(2),
  mechanism_gdpr: z.string().default(''),
  mechanism_lgpd: z.string().default(''),
  reference: z.string().default(''),
  checked_on: z.string().default(''),
});

export const DEFAULT_OPT_OUT_KEYWORDS = [
  'STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPT OUT', 'OPTOUT', // en
  'PARAR', 'SAIR', 'CANCELAR', 'DESCADASTRAR', 'DESINSCREVER', // pt
  'BAJA', 'DAR DE BAJA', 'ALTO', 'DETENER', 'CANCELAR SUSCRIPCION', 'CANCELAR SUSCRIPCIÓN', // es
  'ABMELDEN', 'STOPP', 'ABBESTELLEN', // de
  'ARRET', 'ARRÊT', 'DESABONNER', 'DÉSABONNER', // fr
  'ANNULLA', 'DISISCRIVI', // it
  'रुकें', 'बंद करें', // hi
];
export const DEFAULT_OPT_IN_KEYWORDS = ['START', 'UNSTOP', 'SUBSCRIBE', 'VOLTAR', 'ASSINAR', 'ALTA', 'ANMELDEN'];

export const privacyConfigSchema = z.object({
  role: z.enum(['controller', 'processor']).default('controller'),
  controller: contact.prefault({}),
  representative: contact.prefault({}),
  dpo: contact.prefault({}),
  encarregado: contact.prefault({}),
  default_jurisdiction: z.enum(['gdpr', 'lgpd', 'both']).default('both'),
  supervisory_authorities: z.array(z.string()).default(['ANPD (Brazil)', 'the supervisory authority of the EU member state of residence']),
  automated_decisions: z.string().default('none'),
  storage: z
    .object({
      provider: z.string().default('ClickHouse operated by the controller'),
      region: z.string().default(''),
      country: z.string().default(''),
      replica_regions: z.array(z.string()).default([]),
      backup_regions: z.array(z.string()).default([]),
      backup_retention_days: z.number().int().nonnegative().nullable().default(null),
    })
    .prefault({}),
  /** Meta's Cloud API storage location per business phone number id (local storage: EU, BR…). */
  meta_storage: z.object({ default: z.string().default('US'), phone_numbers: z.record(z.string(), z.string()).default({}) }).prefault({}),
  transfers: z.array(transferSchema).default([]),
  activities: z.array(activitySchema).default(DEFAULT_ACTIVITIES.map((a) => activitySchema.parse(a))),
  retention: z
    .object({
      raw_days: z.number().int().positive().default(30),
      items_days: z.number().int().positive().default(730),
      /** Message text and other content columns; null keeps content as long as its row. */
      content_days: z.number().int().positive().nullable().default(null),
      consent_days: z.number().int().positive().default(1825),
      /** Billing records (accounting: tax law commonly asks 5–10 years); they hold no personal data. */
      accounting_days: z.number().int().positive().default(3650),
      /** Archived dashboard snapshots (`DATA_DIR/snapshots/<day>`): pseudonymous, removed after this. */
      snapshot_days: z.number().int().positive().default(90),
      tables: z.record(z.string(), tablePolicySchema).default({}),
    })
    .prefault({}),
  consent: z
    .object({
      opt_out_keywords: z.array(z.string().min(1)).default(DEFAULT_OPT_OUT_KEYWORDS),
      opt_in_keywords: z.array(z.string().min(1)).default(DEFAULT_OPT_IN_KEYWORDS),
      marketing_categories: z.array(z.string()).default(['marketing', 'marketing_lite']),
      /** A `biz_opaque_callback_data` tag marking a campaign send (`v1;src=c;…`). */
      marketing_tag: z.string().regex(/^[a-z_]+=[A-Za-z0-9_-]+$/).default('src=c'),
    })
    .prefault({}),
  erasure: z
    .object({
      /**
       * `mutation` rewrites the parts holding the subject (gone from disk at the receipt),
       * `lightweight` masks the rows (gone from every query at once, from disk at the purge), `auto`
       * rewrites the tables whose parts holding the subject fit `rewrite_budget_mb` and masks the rest.
       */
      method: z.enum(['auto', 'mutation', 'lightweight']).default('auto'),
      /** Under `auto`: the most an erasure rewrites at once (at 10 M events on two cores, about 90 MB/s a core). */
      rewrite_budget_mb: z.number().min(0).default(256),
      /** Lightweight erasures are purged from disk together once the oldest has waited this long. */
      purge_minutes: z.number().int().min(1).max(1440).default(15),
    })
    .prefault({}),
  audit: z.object({ anchor_file: z.string().optional() }).prefault({}),
});

export type PrivacyConfig = z.infer<typeof privacyConfigSchema>;

const cache = new WeakMap<object, PrivacyConfig>();

/** Parses the `privacy` section once per loaded file config; throws a readable error if invalid. */
export function privacyConfig(file: Pick<FileConfig, 'privacy'>): PrivacyConfig {
  const hit = cache.get(file);
  if (hit) return hit;
  const parsed = privacyConfigSchema.safeParse(file.privacy ?? {});
  if (!parsed.success) throw new Error(`CONFIG_FILE privacy: ${z.prettifyError(parsed.error)}`);
  cache.set(file, parsed.data);
  return parsed.data;
}
