import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Paths that may carry personal data. pino removes them before a line is written, so a log call
 * that passes a payload by mistake still prints no phone number, name or message text.
 */
const REDACT = [
  'wa_id', '*.wa_id', 'from', '*.from', 'to', '*.to', 'recipient_id', '*.recipient_id',
  'phone', '*.phone', 'name', '*.name', 'profile', '*.profile', 'text', '*.text', 'body', '*.body',
  'contacts', '*.contacts', 'messages', '*.messages', 'statuses', '*.statuses', 'value', '*.value',
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie',
];

let root: Logger | undefined;

/** The one logger factory: a root logger per process, a named child per component. */
export function createLogger(name: string, level?: LevelWithSilent, destination?: NodeJS.WritableStream): Logger {
  if (!root || level || destination) {
    root = pino(
      {
        level: level ?? 'info',
        redact: { paths: REDACT, censor: '[redacted]' },
        base: { pid: process.pid },
        // Error messages from the warehouse can quote row data: keep type and code only.
        serializers: { err: (e: Error & { code?: unknown }) => ({ type: e?.name, code: e?.code, message: scrub(e?.message) }) },
      },
      destination ?? process.stdout,
    );
  }
  return root.child({ component: name });
}

/** Removes digit runs long enough to be phone numbers from free text (error messages). */
export function scrub(text: string | undefined): string | undefined {
  return text?.replace(/\+?\d[\d\s-]{6,}\d/g, '[number]').slice(0, 500);
}
