import { tagKeys } from '../sla/classify.ts';
import { labelSchema } from './input.ts';

/**
 * Labels carried by an outbound message's callback tag: `lb=` holds labels separated by `,`, each
 * added, or removed when written with a leading `-` (`v1;src=h;lb=order/paid,-new customer`).
 * A label that is not well formed is left out (the tag is the sending system's, and a message is
 * never refused for it).
 */
export interface TagLabel {
  label: string;
  action: 'add' | 'remove';
}

export function labelsOfTag(data: string): { labels: TagLabel[]; malformed: number } {
  const value = data ? tagKeys(data).get('lb') : undefined;
  if (!value) return { labels: [], malformed: 0 };
  const labels: TagLabel[] = [];
  let malformed = 0;
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const remove = item.startsWith('-');
    const label = (remove ? item.slice(1) : item).trim();
    if (labelSchema.safeParse(label).success) labels.push({ label, action: remove ? 'remove' : 'add' });
    else malformed++;
  }
  return { labels, malformed };
}
