import { createChdbConnection } from 'chdb/connection';
import { createClient } from '@clickhouse/client';
const c = createClient({ connection: createChdbConnection({ path: process.argv[2] }) });
for (const s of process.argv.slice(3)) { const t = Date.now(); try { const r = await c.query({ query: s, format: 'TabSeparated' }); const txt = await r.text(); console.log(Date.now() - t, 'ms\n' + txt.slice(0, 1500)); } catch (e) { console.log('ERR', e.message.slice(0, 500)); } }
process.exit(0);
