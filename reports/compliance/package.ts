import { createHash } from 'node:crypto';
import yazl from 'yazl';

/**
 * An export package: files, a `manifest.json` with the SHA-256 of each (so a recipient can check
 * nothing was altered), in one zip. The manifest's own hash goes into the access audit, binding the
 * package to the audit entry. Same files and time → same bytes.
 */

export interface PackageFile {
  name: string;
  data: Buffer;
}

export interface Manifest {
  format: string;
  request_id: string;
  generated_at: string;
  algorithm: 'SHA-256';
  files: Array<{ name: string; bytes: number; sha256: string }>;
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export function fileEntry(f: PackageFile) {
  return { name: f.name, bytes: f.data.length, sha256: sha256(f.data) };
}

export function manifestOf(files: readonly PackageFile[], meta: { format: string; request_id: string; generated_at: Date }): Manifest {
  return {
    format: meta.format,
    request_id: meta.request_id,
    generated_at: meta.generated_at.toISOString(),
    algorithm: 'SHA-256',
    files: files.map(fileEntry),
  };
}

/** The zip: manifest.json first, then the files in the given order. */
export async function zipPackage(files: readonly PackageFile[], manifest: Manifest, mtime: Date): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const opts = { mtime, mode: 0o100644, compress: true };
  zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 2) + '\n'), 'manifest.json', opts);
  for (const f of files) zip.addBuffer(f.data, f.name, opts);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}
