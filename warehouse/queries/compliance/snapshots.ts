import { defineInsert } from '../../query.ts';
import { COMPLIANCE_SNAPSHOTS } from '../../schema/compliance.ts';

export const insertSnapshots = defineInsert({ name: 'compliance.insert_snapshot', table: COMPLIANCE_SNAPSHOTS.name, row: COMPLIANCE_SNAPSHOTS.row });
