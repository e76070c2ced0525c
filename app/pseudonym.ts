import { createHmac } from 'node:crypto';

/**
 * Keyed hashes of personal identifiers (wa_id, user ids). Stable for one PII_KEY, so reports can
 * group by customer without showing the number, and the access audit can name a subject without
 * storing it (erasure never has to rewrite the audit).
 */
export function createPseudonymizer(key: string) {
  return {
    /** Short id shown to roles that may not see personal data. */
    contact(id: string): string {
      return id ? 'c_' + createHmac('sha256', key).update('contact\0' + id).digest('hex').slice(0, 16) : '';
    },
    /**
     * Keyed substitute of a message id, for records that outlive erasure (billing facts): Meta's
     * wamid is base64 of the customer's number, so it is never kept there.
     */
    message(wamid: string): string {
      return wamid ? 'mk_' + createHmac('sha256', key).update('message\0' + wamid).digest('hex').slice(0, 32) : '';
    },
    /** Full-length keyed hash for the audit log and suppression lists. */
    subject(id: string): string {
      return createHmac('sha256', key).update('subject\0' + id).digest('hex');
    },
  };
}

export type Pseudonymizer = ReturnType<typeof createPseudonymizer>;
