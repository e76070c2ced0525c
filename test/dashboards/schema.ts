import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';

let validate: ValidateFunction | undefined;

/** The published Vega-Lite JSON schema (draft-07) that ships with the installed vega-lite. */
export function vegaLiteValidator(): ValidateFunction {
  if (validate) return validate;
  const require = createRequire(import.meta.url);
  const dir = (require.resolve.paths('vega-lite') ?? []).map((d) => join(d, 'vega-lite')).find((d) => {
    try {
      readFileSync(join(d, 'package.json'));
      return true;
    } catch {
      return false;
    }
  });
  if (!dir) throw new Error('vega-lite is not installed');
  const schema = JSON.parse(readFileSync(join(dir, 'build', 'vega-lite-schema.json'), 'utf8')) as object;
  // strict: false — the schema uses keywords and formats ajv's strict mode rejects; validateFormats
  // off because `$schema`'s "uri" format is the only one and is not what is being checked.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false });
  validate = ajv.compile(schema);
  return validate;
}

