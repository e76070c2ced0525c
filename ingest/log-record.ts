import { crc32 } from 'node:zlib';

/**
 * One record of the ingest log: the exact body bytes Meta signed, with what the receiver decided
 * before answering. Layout (little-endian):
 *
 *   0  u32  magic 'WAL1'
 *   4  u32  body length
 *   8  u32  CRC-32 of bytes 12 … end (the rest of the header and the body)
 *  12  f64  receipt time, epoch ms
 *  20  u8   flags (bit 0: signature valid)
 *  21  3 bytes reserved (0)
 *  24  body
 *
 * A record cut short by a crash, or whose checksum does not match, was never acknowledged (the
 * answer waits for the fsync of the whole record) and is cut at recovery.
 */

export const RECORD_MAGIC = 0x314c4157; // 'WAL1' read little-endian
export const HEADER_BYTES = 24;
/** Bodies are at most 3 MB (the receiver's limit); anything far larger is not a record. */
export const MAX_RECORD_BODY = 16 * 1024 * 1024;

export interface LogRecord {
  body: Buffer;
  receivedAt: number;
  signatureValid: boolean;
}

export function encodeRecord(r: LogRecord): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + r.body.length);
  out.writeUInt32LE(RECORD_MAGIC, 0);
  out.writeUInt32LE(r.body.length, 4);
  out.writeDoubleLE(r.receivedAt, 12);
  out.writeUInt8(r.signatureValid ? 1 : 0, 20);
  out.fill(0, 21, 24);
  r.body.copy(out, HEADER_BYTES);
  out.writeUInt32LE(crc32(out.subarray(12)), 8);
  return out;
}

export type Decoded =
  | { kind: 'record'; record: LogRecord; size: number }
  /** Not enough bytes yet for the record that starts here (or the file ends inside it). */
  | { kind: 'short'; need: number }
  /** The bytes here are not a valid record: a torn or damaged write. */
  | { kind: 'bad'; reason: string };

/** Decodes the record starting at `at` in `buf`; never reads past `buf`. */
export function decodeRecord(buf: Buffer, at: number): Decoded {
  if (buf.length - at < HEADER_BYTES) return { kind: 'short', need: HEADER_BYTES };
  if (buf.readUInt32LE(at) !== RECORD_MAGIC) return { kind: 'bad', reason: 'magic' };
  const length = buf.readUInt32LE(at + 4);
  if (length > MAX_RECORD_BODY) return { kind: 'bad', reason: 'length' };
  const size = HEADER_BYTES + length;
  if (buf.length - at < size) return { kind: 'short', need: size };
  if (crc32(buf.subarray(at + 12, at + size)) !== buf.readUInt32LE(at + 8)) return { kind: 'bad', reason: 'checksum' };
  return {
    kind: 'record',
    size,
    record: {
      receivedAt: buf.readDoubleLE(at + 12),
      signatureValid: (buf.readUInt8(at + 20) & 1) === 1,
      // A copy: the read buffer is reused for the next chunk.
      body: Buffer.from(buf.subarray(at + HEADER_BYTES, at + size)),
    },
  };
}
