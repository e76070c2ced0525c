import type { FileConfig } from '../../app/config.ts';
import { loadSlaSettings, type SlaSettings } from './config.ts';

/** The SLA settings of a loaded configuration, validated once per configuration object. */
const cache = new WeakMap<FileConfig, SlaSettings>();

export function slaSettings(file: FileConfig): SlaSettings {
  let s = cache.get(file);
  if (!s) {
    s = loadSlaSettings(file);
    cache.set(file, s);
  }
  return s;
}
