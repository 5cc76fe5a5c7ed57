/**
 * The one ZIP reader: PyTorch checkpoints (torch.save writes a ZIP with data.pkl and one entry per storage)
 * and data-set archives (DIV2K_train_HR.zip is over 3 GB). All reads go through a ZipSource, so a checkpoint
 * in memory is sliced without copying and an archive on disk is read by position from its file descriptor,
 * never whole. Central directory (with ZIP64), stored (method 0) and deflate (method 8) entries, CRC-32 check.
 * Sizes and offsets come from the central directory only; the local header is read just for the name/extra
 * lengths, because PyTorch sets flag bit 3 (sizes in a trailing data descriptor). Layout: PKWARE APPNOTE.TXT.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readAt } from './read-at';

export class ZipError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
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
  /** Directory entries end in '/' and carry no data. */
  readonly isDirectory: boolean;
}

/** Random access to the bytes of an archive. */
export interface ZipSource {
  /** Prefixes every error message (the archive's path); absent where the caller names the archive itself. */
  readonly name?: string;
  readonly size: number;
  /** `len` bytes at `pos` (fewer only past the end). */
  read(pos: number, len: number): Uint8Array;
}

/** An archive on disk, read through its file descriptor. Close it when done. */
export interface ZipFile extends ZipSource {
  readonly name: string;
  readonly fd: number;
  close(): void;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const FLAG_ENCRYPTED = 0x0001;

/** True when the buffer starts like a ZIP archive ("PK\x03\x04"), or is an empty archive ("PK\x05\x06"). */
export function isZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b &&
    ((buf[2] === 0x03 && buf[3] === 0x04) || (buf[2] === 0x05 && buf[3] === 0x06));
}

export function openZipFile(file: string): ZipFile {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  return { name: file, fd, size, read: (pos, len) => readAt(fd, pos, len), close: () => fs.closeSync(fd) };
}

function asSource(src: Uint8Array | ZipSource): ZipSource {
  if (!(src instanceof Uint8Array)) return src;
  return { size: src.length, read: (pos, len) => src.subarray(pos, pos + len) };
}

function zipError(src: ZipSource, message: string, options?: ErrorOptions): ZipError {
  return new ZipError(src.name === undefined ? message : `${src.name}: ${message}`, options);
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function u64(src: ZipSource, dv: DataView, at: number, what: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw zipError(src, `${what} is too large (${v})`);
  return Number(v);
}

/** Where the central directory lies, from the end-of-central-directory record (or its ZIP64 form). */
function locateDirectory(src: ZipSource): { count: number; cdOffset: number; cdSize: number } {
  const n = src.size;
  if (n < 22) throw zipError(src, `file too short for a ZIP archive (${n} bytes)`);
  // End of central directory: 22 bytes + up to 65535 bytes of comment, searched backwards; the 20-byte
  // ZIP64 locator sits right before it. `tail` holds both; positions below are relative to `tailStart`.
  const tailStart = Math.max(0, n - 22 - 0xffff - 20);
  const tail = view(src.read(tailStart, n - tailStart));
  let eocd = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 0xffff); p--) {
    const t = p - tailStart;
    if (tail.getUint32(t, true) === SIG_EOCD && p + 22 + tail.getUint16(t + 20, true) <= n) { eocd = t; break; }
  }
  if (eocd < 0) throw zipError(src, 'end-of-central-directory record not found (file truncated or not a ZIP archive)');
  const count = tail.getUint16(eocd + 10, true);
  const cdSize = tail.getUint32(eocd + 12, true);
  const cdOffset = tail.getUint32(eocd + 16, true);
  const loc = eocd - 20;
  if (loc >= 0 && tail.getUint32(loc, true) === SIG_EOCD64_LOCATOR) {
    const at = u64(src, tail, loc + 8, 'ZIP64 end-of-central-directory offset');
    const rec = at + 56 <= n ? view(src.read(at, 56)) : null;
    if (rec === null || rec.getUint32(0, true) !== SIG_EOCD64) {
      throw zipError(src, `ZIP64 end-of-central-directory record missing at offset ${at}`);
    }
    return {
      count: u64(src, rec, 32, 'ZIP64 entry count'),
      cdSize: u64(src, rec, 40, 'ZIP64 central directory size'),
      cdOffset: u64(src, rec, 48, 'ZIP64 central directory offset'),
    };
  }
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw zipError(src, 'archive needs ZIP64 but has no ZIP64 end-of-central-directory locator');
  }
  return { count, cdSize, cdOffset };
}

/** Locates and parses the central directory. Throws ZipError naming what is missing or out of range. */
export function readZipDirectory(input: Uint8Array | ZipSource): ZipEntry[] {
  const src = asSource(input);
  const { count, cdOffset, cdSize } = locateDirectory(src);
  if (cdOffset + cdSize > src.size) {
    throw zipError(src, `central directory (offset ${cdOffset}, ${cdSize} bytes) extends past the end of the file (${src.size} bytes); file truncated?`);
  }
  // Positions in `cd` are relative to the directory start; messages give file offsets.
  const cdBytes = src.read(cdOffset, cdSize);
  const cd = view(cdBytes);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || cd.getUint32(p, true) !== SIG_CENTRAL) {
      throw zipError(src, `central directory entry ${i} of ${count} is corrupt (bad signature at offset ${cdOffset + p})`);
    }
    const flags = cd.getUint16(p + 8, true);
    const method = cd.getUint16(p + 10, true);
    const crc32 = cd.getUint32(p + 16, true);
    let compressedSize = cd.getUint32(p + 20, true);
    let uncompressedSize = cd.getUint32(p + 24, true);
    const nameLen = cd.getUint16(p + 28, true);
    const extraLen = cd.getUint16(p + 30, true);
    const commentLen = cd.getUint16(p + 32, true);
    let localHeaderOffset = cd.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdSize) throw zipError(src, `central directory entry ${i} runs past the directory end`);
    const name = Buffer.from(cdBytes.buffer, cdBytes.byteOffset + p + 46, nameLen).toString('utf8');
    // ZIP64 extended information (id 0x0001): present fields are those saturated in the fixed header, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cd.getUint16(e, true);
      const size = cd.getUint16(e + 2, true);
      if (e + 4 + size > extraEnd) throw zipError(src, `entry '${name}': extra field runs past its end`);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (what: string): number => {
          if (q + 8 > e + 4 + size) throw zipError(src, `entry '${name}': ZIP64 extra field too short for ${what}`);
          const v = u64(src, cd, q, `entry '${name}' ${what}`);
          q += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
      }
      e += 4 + size;
    }
    entries.push({ name, method, flags, crc32, compressedSize, uncompressedSize, localHeaderOffset, isDirectory: name.endsWith('/') });
    p = end;
  }
  return entries;
}

/** Lists the entries of the ZIP archive at `file` from its central directory (reads only the directory). */
export function listZip(file: string): ZipEntry[] {
  const zip = openZipFile(file);
  try {
    return readZipDirectory(zip);
  } finally {
    zip.close();
  }
}

/** Byte range of an entry's (possibly compressed) data, from its local header. */
export function entryDataRange(input: Uint8Array | ZipSource, entry: ZipEntry): { start: number; end: number } {
  const src = asSource(input);
  const h = entry.localHeaderOffset;
  if (h + 30 > src.size) throw zipError(src, `entry '${entry.name}': local header at ${h} is past the end of the file (truncated?)`);
  const local = view(src.read(h, 30));
  if (local.getUint32(0, true) !== SIG_LOCAL) throw zipError(src, `entry '${entry.name}': bad local header signature at offset ${h}`);
  const start = h + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  const end = start + entry.compressedSize;
  if (end > src.size) {
    throw zipError(src, `entry '${entry.name}': data (offset ${start}, ${entry.compressedSize} bytes) runs past the end of the file (${src.size} bytes); file truncated?`);
  }
  return { start, end };
}

/** Refuses entries this reader cannot decode: encryption, methods other than stored/deflate, inconsistent stored sizes. */
function checkDecodable(src: ZipSource, entry: ZipEntry): void {
  if (entry.flags & FLAG_ENCRYPTED) throw zipError(src, `entry '${entry.name}': encrypted entries are not supported`);
  if (entry.method === 0 && entry.compressedSize !== entry.uncompressedSize) {
    throw zipError(src, `entry '${entry.name}': stored entry with compressed size ${entry.compressedSize} != size ${entry.uncompressedSize}`);
  }
  if (entry.method !== 0 && entry.method !== 8) {
    throw zipError(src, `entry '${entry.name}': unsupported compression method ${entry.method} (only stored and deflate)`);
  }
}

/** Checks decoded data against the central directory: its size always, its CRC-32 when given. */
function checkDecoded(src: ZipSource, entry: ZipEntry, size: number, crc: number | undefined): void {
  if (size !== entry.uncompressedSize) {
    throw zipError(src, `entry '${entry.name}': decoded to ${size} bytes, expected ${entry.uncompressedSize}; file corrupt`);
  }
  if (crc !== undefined && crc >>> 0 !== entry.crc32 >>> 0) {
    throw zipError(src, `entry '${entry.name}': CRC-32 mismatch (stored ${hex8(entry.crc32)}, computed ${hex8(crc)}); file corrupt`);
  }
}

function deflateError(src: ZipSource, entry: ZipEntry, err: unknown): ZipError {
  return zipError(src, `entry '${entry.name}': deflate data is corrupt (${(err as Error).message})`, { cause: err });
}

/**
 * The entry's bytes, in memory. From a buffer, stored entries are a view into it (no copy); deflated ones are
 * inflated. With `verifyCrc` the CRC-32 from the central directory is checked.
 */
export function readZipEntry(input: Uint8Array | ZipSource, entry: ZipEntry, opts: { verifyCrc?: boolean } = {}): Uint8Array {
  const src = asSource(input);
  const { start, end } = entryDataRange(src, entry);
  checkDecodable(src, entry);
  const raw = src.read(start, end - start);
  let data = raw;
  if (entry.method === 8) {
    try {
      data = zlib.inflateRawSync(raw);
    } catch (err) {
      throw deflateError(src, entry, err);
    }
  }
  checkDecoded(src, entry, data.length, opts.verifyCrc ? zlib.crc32(data) : undefined);
  return data;
}

/** Counts and checksums the bytes passing through; checks them against the entry when the stream ends. */
class DecodedCheck extends Transform {
  private crc = 0;
  private bytes = 0;
  constructor(private readonly src: ZipSource, private readonly entry: ZipEntry) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.crc = zlib.crc32(chunk, this.crc);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  override _flush(cb: (err?: Error | null) => void): void {
    try {
      checkDecoded(this.src, this.entry, this.bytes, this.crc);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

/**
 * Streams an entry of an archive on disk into `dest` (decoded, CRC-32 checked), a chunk at a time, so entries of
 * any size pass through constant memory. Rejects with a ZipError naming the archive and entry when the data is bad.
 */
export async function copyZipEntry(zip: ZipFile, entry: ZipEntry, dest: Writable): Promise<void> {
  const { start, end } = entryDataRange(zip, entry);
  checkDecodable(zip, entry);
  const check = new DecodedCheck(zip, entry);
  // An empty entry has no bytes to read (a read stream cannot cover an empty range).
  const raw = start === end ? Readable.from([]) : fs.createReadStream(zip.name, { fd: zip.fd, autoClose: false, start, end: end - 1 });
  try {
    if (entry.method === 8 && start < end) await pipeline(raw, zlib.createInflateRaw(), check, dest);
    else await pipeline(raw, check, dest);
  } catch (err) {
    // zlib's errors carry codes 'Z_DATA_ERROR', 'Z_BUF_ERROR', ...; disk errors pass through unchanged.
    if (String((err as { code?: unknown }).code).startsWith('Z_')) throw deflateError(zip, entry, err);
    throw err;
  }
}

function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}
