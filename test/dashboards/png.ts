/** Width and height from a PNG's IHDR chunk, after checking the signature. */
export function pngSize(b: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (b.length < 24 || !b.subarray(0, 8).equals(signature)) throw new Error('not a PNG');
  if (b.subarray(12, 16).toString('ascii') !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}
