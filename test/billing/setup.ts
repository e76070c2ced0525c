import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '../../app/server.ts';
import { billingEnv, runFacts } from '../../reports/billing/facts-job.ts';
import { authHeader, http, postSigned, type TEST_TOKENS } from '../helpers/service.ts';

/** Two tenants: a Brazilian WABA (America/Sao_Paulo) and one billed in UTC months. */
export const WABA_BR = '110000000000001';
export const WABA_UTC = '220000000000002';
export const PHONE_BR = '301';
export const PHONE_UTC = '302';

export function writeTenantConfig(extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'wa-billing-'));
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      tenants: [
        { waba_id: WABA_BR, name: 'Loja BR', time_zone: 'America/Sao_Paulo', currency: 'USD', phone_numbers: [{ phone_number_id: PHONE_BR, display_phone_number: '551130000000' }] },
        { waba_id: WABA_UTC, name: 'Global', time_zone: 'UTC', currency: 'USD', phone_numbers: [{ phone_number_id: PHONE_UTC, display_phone_number: '15550001111' }] },
      ],
      ...extra,
    }),
  );
  return file;
}

export async function postAll(service: Service, bodies: string[]): Promise<void> {
  for (const b of bodies) {
    const r = await postSigned(service.url(), b);
    if (r.status !== 200) throw new Error(`webhook answered ${r.status}: ${r.text}`);
  }
  await service.settle();
}

/** Runs the facts job as if a minute had passed (the job leaves the last seconds for the next run). */
export function refresh(service: Service) {
  return runFacts(billingEnv(service.deps), new Date(Date.now() + 60_000));
}

export async function getJson<T = { columns: string[]; rows: Array<Record<string, unknown>> }>(
  service: Service,
  path: string,
  role: keyof typeof TEST_TOKENS = 'finance',
): Promise<{ status: number; body: T }> {
  const r = await http(service.url() + path, { headers: authHeader(role) });
  return { status: r.status, body: JSON.parse(r.text) as T };
}
