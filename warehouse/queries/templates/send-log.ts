import { defineInsert } from '../../query.ts';
import { TEMPLATE_SEND_LOG } from '../../schema/templates.ts';

/** Rows of an imported send log (wamid → template, language, campaign). */
export const insertSendLog = defineInsert({ name: 'templates.send_log.insert', table: TEMPLATE_SEND_LOG.name, row: TEMPLATE_SEND_LOG.row });
