import type { Warehouse } from '../../warehouse/client.ts';
import { Activity } from '../activity.ts';

/**
 * Message-fact writes under way in this process, per warehouse. A template send stores its
 * message's charge, looked up from the facts as the send is written, and a fact written afterwards
 * copies itself onto its send: a send written while a fact write ran may have missed both, so its
 * writer waits for them and looks again (reports/templates/sends.ts).
 */
const byWarehouse = new WeakMap<Warehouse, Activity>();

export function factWrites(wh: Warehouse): Activity {
  let w = byWarehouse.get(wh);
  if (!w) byWarehouse.set(wh, (w = new Activity()));
  return w;
}
