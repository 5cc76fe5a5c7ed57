/**
 * Minimal ZIP reader for PyTorch checkpoints (spec/checkpoints.md §2): central directory (with ZIP64),
 * stored entries (method 0) and, for hand-repacked archives, deflate (method 8) through node:zlib.
 * Sizes and offsets come from the central directory only; the local header is read just for the
 * name/extra lengths, because PyTorch sets flag bit 3 (sizes in a trailing data descriptor).
 */
import * as zlib from 'node:zlib';

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate; anything else is refused when the entry is read. */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;

/** True when the buffer starts like a ZIP archive ("PK\x03\x04"), or is an empty archive ("PK\x05\x06"). */
export function isZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b &&
    ((buf[2] === 0x03 && buf[3] === 0x04) || (buf[2] === 0x05 && buf[3] === 0x06));
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function u64(dv: DataView, at: number, what: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} is too large (${v})`);
  return Number(v);
}

/** Locates and parses the central directory. Throws ZipError naming what is missing or out of range. */
export function readZipDirectory(buf: Uint8Array): ZipEntry[] {
  const dv = view(buf);
  const n = buf.length;
  if (n < 22) throw new ZipError(`file too short for a ZIP archive (${n} bytes)`);
  // End of central directory: 22 bytes + up to 65535 bytes of comment, searched backwards.
  let eocd = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 0xffff); p--) {
    if (dv.getUint32(p, true) === SIG_EOCD && p + 22 + dv.getUint16(p + 20, true) <= n) { eocd = p; break; }
  }
  if (eocd < 0) throw new ZipError('end-of-central-directory record not found (file truncated or not a ZIP archive)');
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  const loc = eocd - 20;
  if (loc >= 0 && dv.getUint32(loc, true) === SIG_EOCD64_LOCATOR) {
    const rec = u64(dv, loc + 8, 'ZIP64 end-of-central-directory offset');
    if (rec + 56 > n || dv.getUint32(rec, true) !== SIG_EOCD64) {
      throw new ZipError(`ZIP64 end-of-central-directory record missing at offset ${rec}`);
    }
    count = u64(dv, rec + 32, 'ZIP64 entry count');
    cdSize = u64(dv, rec + 40, 'ZIP64 central directory size');
    cdOffset = u64(dv, rec + 48, 'ZIP64 central directory offset');
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new ZipError('archive needs ZIP64 but has no ZIP64 end-of-central-directory locator');
  }
  if (cdOffset + cdSize > n) {
    throw new ZipError(`central directory (offset ${cdOffset}, ${cdSize} bytes) extends past the end of the file (${n} bytes); file truncated?`);
  }
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize || dv.getUint32(p, true) !== SIG_CENTRAL) {
      throw new ZipError(`central directory entry ${i} of ${count} is corrupt (bad signature at offset ${p})`);
    }
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc32 = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let uncompressedSize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdOffset + cdSize) throw new ZipError(`central directory entry ${i} runs past the directory end`);
    const name = Buffer.from(buf.buffer, buf.byteOffset + p + 46, nameLen).toString('utf8');
    // ZIP64 extended information (id 0x0001): present fields are those saturated in the fixed header.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const size = dv.getUint16(e + 2, true);
      if (e + 4 + size > extraEnd) throw new ZipError(`entry '${name}': extra field runs past its end`);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (what: string): number => {
          if (q + 8 > e + 4 + size) throw new ZipError(`entry '${name}': ZIP64 extra field too short for ${what}`);
          const v = u64(dv, q, `entry '${name}' ${what}`);
          q += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
      }
      e += 4 + size;
    }
    entries.push({ name, method, flags, crc32, compressedSize, uncompressedSize, localHeaderOffset });
    p = end;
  }
  return entries;
}

/** Byte range of an entry's (possibly compressed) data, from its local header. */
export function entryDataRange(buf: Uint8Array, entry: ZipEntry): { start: number; end: number } {
  const dv = view(buf);
  const h = entry.localHeaderOffset;
  if (h + 30 > buf.length) throw new ZipError(`entry '${entry.name}': local header at ${h} is past the end of the file (truncated?)`);
  if (dv.getUint32(h, true) !== SIG_LOCAL) throw new ZipError(`entry '${entry.name}': bad local header signature at offset ${h}`);
  const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
  const end = start + entry.compressedSize;
  if (end > buf.length) {
    throw new ZipError(`entry '${entry.name}': data (offset ${start}, ${entry.compressedSize} bytes) runs past the end of the file (${buf.length} bytes); file truncated?`);
  }
  return { start, end };
}

/**
 * The entry's bytes. Stored entries are returned as a view into `buf` (no copy); deflated ones are inflated.
 * With `verifyCrc` the CRC-32 from the central directory is checked.
 */
export function readZipEntry(buf: Uint8Array, entry: ZipEntry, opts: { verifyCrc?: boolean } = {}): Uint8Array {
  const { start, end } = entryDataRange(buf, entry);
  const raw = buf.subarray(start, end);
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw new ZipError(`entry '${entry.name}': stored entry with compressed size ${entry.compressedSize} != size ${entry.uncompressedSize}`);
    }
    data = raw;
  } else if (entry.method === 8) {
    try {
      data = zlib.inflateRawSync(raw);
    } catch (err) {
      throw new ZipError(`entry '${entry.name}': deflate data is corrupt (${(err as Error).message})`);
    }
    if (data.length !== entry.uncompressedSize) {
      throw new ZipError(`entry '${entry.name}': inflated to ${data.length} bytes, expected ${entry.uncompressedSize}`);
    }
  } else {
    throw new ZipError(`entry '${entry.name}': unsupported compression method ${entry.method} (only stored and deflate)`);
  }
  if (opts.verifyCrc) {
    const crc = zlib.crc32(data) >>> 0;
    if (crc !== entry.crc32 >>> 0) {
      throw new ZipError(`entry '${entry.name}': CRC-32 mismatch (stored ${hex8(entry.crc32)}, computed ${hex8(crc)}); file corrupt`);
    }
  }
  return data;
}

function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}
