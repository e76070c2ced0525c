#!/usr/bin/env node
// The wa-analytics command: loads the TypeScript sources through tsx and hands over to app/cli.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../app/cli.ts');
await main(process.argv.slice(2));
