import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { ERASURE_REQUESTS, ERASURE_SUPPRESSION, type ErasureRequestRow } from '../../schema/compliance.ts';

export type { ErasureRequestRow };

export const insertErasureRequest = defineInsert({ name: 'compliance.insert_erasure_request', table: ERASURE_REQUESTS.name, row: ERASURE_REQUESTS.row });

export const erasureRequests = defineQuery({
  name: 'compliance.erasure_requests',
  sql: `SELECT request_id, subject_hash, jurisdiction, legal_ground, requested_by, toString(received_at) AS received_at,
               toString(completed_at) AS completed_at, status, hold_ids, tables_json, receipt_sha256
        FROM {{db}}.erasure_requests_v1 AS e
        WHERE e.received_at >= {from:DateTime64(3)} AND e.received_at < {to:DateTime64(3)}
        ORDER BY e.received_at, request_id`,
  params: z.object({ from: z.string(), to: z.string() }),
  row: z.object({
    request_id: z.string(),
    subject_hash: z.string(),
    jurisdiction: z.string(),
    legal_ground: z.string(),
    requested_by: z.string(),
    received_at: z.string(),
    completed_at: z.string().nullable(),
    status: z.string(),
    hold_ids: z.array(z.string()),
    tables_json: z.string(),
    receipt_sha256: z.string(),
  }),
});

export const insertSuppression = defineInsert({ name: 'compliance.insert_suppression', table: ERASURE_SUPPRESSION.name, row: ERASURE_SUPPRESSION.row });

export const suppressedSubjects = defineQuery({
  name: 'compliance.suppressed_subjects',
  sql: `SELECT DISTINCT subject_hash FROM {{db}}.erasure_suppression_v1`,
  params: z.object({}),
  row: z.object({ subject_hash: z.string() }),
  connection: 'jobs',
});
