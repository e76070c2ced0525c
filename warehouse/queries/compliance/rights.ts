import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { RIGHTS_REQUESTS, type RightsRequestRow } from '../../schema/compliance.ts';

export type { RightsRequestRow };

/** A new version of the request (ReplacingMergeTree on updated_at): status changes are inserts. */
export const upsertRightsRequests = defineInsert({ name: 'compliance.upsert_rights_request', table: RIGHTS_REQUESTS.name, row: RIGHTS_REQUESTS.row });

const MS = (col: string) => `toUnixTimestamp64Milli(${col}) AS ${col}`;
const row = z.object({
  request_id: z.string(),
  type: z.string(),
  jurisdiction: z.string(),
  subject_hash: z.string(),
  received_at: z.coerce.number(),
  identity_verified_at: z.coerce.number().nullable(),
  simplified_reply_at: z.coerce.number().nullable(),
  due_at: z.coerce.number(),
  extended: z.coerce.boolean(),
  extension_reason: z.string(),
  extension_notified_at: z.coerce.number().nullable(),
  status: z.string(),
  completed_at: z.coerce.number().nullable(),
  outcome_ref: z.string(),
  handled_by: z.string(),
  updated_at: z.coerce.number(),
});
const COLUMNS = `request_id, type, jurisdiction, subject_hash, ${MS('received_at')}, ${MS('identity_verified_at')},
  ${MS('simplified_reply_at')}, ${MS('due_at')}, extended, extension_reason, ${MS('extension_notified_at')}, status,
  ${MS('completed_at')}, outcome_ref, handled_by, ${MS('updated_at')}`;

export const rightsRequests = defineQuery({
  name: 'compliance.rights_requests',
  sql: `SELECT ${COLUMNS} FROM {{db}}.rights_requests_v1 AS r FINAL
        WHERE r.received_at >= {from:DateTime64(3)} AND r.received_at < {to:DateTime64(3)}
        ORDER BY r.received_at, request_id`,
  params: z.object({ from: z.string(), to: z.string() }),
  row,
});

export const rightsRequestById = defineQuery({
  name: 'compliance.rights_request',
  sql: `SELECT ${COLUMNS} FROM {{db}}.rights_requests_v1 FINAL WHERE request_id = {request_id:String}`,
  params: z.object({ request_id: z.string() }),
  row,
});

export const rightsRequestsOfSubject = defineQuery({
  name: 'compliance.rights_requests_of_subject',
  sql: `SELECT ${COLUMNS} FROM {{db}}.rights_requests_v1 AS r FINAL WHERE subject_hash IN {hashes:Array(String)} ORDER BY r.received_at`,
  params: z.object({ hashes: z.array(z.string()) }),
  row,
});
