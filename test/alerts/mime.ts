/**
 * Just enough MIME to read what nodemailer sends: the parts of a multipart message, each with its
 * file name (if an attachment) and its decoded content.
 */

export interface MimePart {
  contentType: string;
  filename: string;
  content: Buffer;
}

function headersOf(block: string): Map<string, string> {
  const unfolded = block.replace(/\r\n[ \t]+/g, ' ');
  return new Map(unfolded.split('\r\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
}

function decode(body: string, encoding: string): Buffer {
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ''), 'base64');
  if (/quoted-printable/i.test(encoding)) {
    const soft = body.replace(/=\r?\n/g, '');
    return Buffer.from(soft.replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  return Buffer.from(body, 'utf8');
}

/** Every leaf part of a message (a single-part message is one part). */
export function mimeParts(raw: string): MimePart[] {
  const split = raw.indexOf('\r\n\r\n');
  const headers = headersOf(raw.slice(0, split));
  const body = raw.slice(split + 4);
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) {
    const name = /filename="?([^";]+)"?/i.exec(headers.get('content-disposition') ?? '')?.[1] ?? '';
    return [{ contentType: type.split(';')[0]!.trim(), filename: name, content: decode(body, headers.get('content-transfer-encoding') ?? '') }];
  }
  return body
    .split(`--${boundary}`)
    .slice(1)
    .filter((p) => !p.startsWith('--'))
    .flatMap((p) => mimeParts(p.replace(/^\r\n/, '')));
}
