/**
 * Streaming ZIP extraction from a file on disk (archives of several GB, e.g. DIV2K_train_HR.zip, never
 * go through memory whole): central directory (ZIP64 aware), stored and deflated entries, CRC-32 checked.
 * Each entry is written to `<target>.part` and renamed into place, so a broken extraction leaves no
 * half-written image under its final name. Entry names that would escape the destination are refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

export interface ZipFileEntry {
  readonly name: string;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  readonly isDirectory: boolean;
}

export interface ExtractOptions {
  /** Maps an entry name to a path relative to the destination, or null to skip it. Default: the name itself. */
  readonly map?: (name: string) => string | null;
  /** Called after each written file. */
  readonly onEntry?: (written: string, done: number, total: number) => void;
  /** Skip entries whose target already exists with the right size (default true). */
  readonly skipExisting?: boolean;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** Lists the entries of the ZIP archive at `file` from its central directory. */
export function listZip(file: string): ZipFileEntry[] {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = readAt(fd, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
    if (eocd < 0) throw new Error(`${file}: not a ZIP archive (no end-of-central-directory record)`);
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === 0x07064b50) {
      const eocd64Pos = Number(tail.readBigUInt64LE(eocd - 20 + 8));
      const rec = readAt(fd, eocd64Pos, 56);
      if (rec.readUInt32LE(0) !== 0x06064b50) throw new Error(`${file}: bad ZIP64 end-of-central-directory record`);
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    const cd = readAt(fd, cdOffset, cdSize);
    const entries: ZipFileEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: corrupt central directory at entry ${i}`);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let comp = cd.readUInt32LE(p + 20);
      let uncomp = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let local = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      // ZIP64 extended information: the 0xffffffff fields follow in order.
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (uncomp === 0xffffffff) { uncomp = Number(cd.readBigUInt64LE(q)); q += 8; }
          if (comp === 0xffffffff) { comp = Number(cd.readBigUInt64LE(q)); q += 8; }
          if (local === 0xffffffff) { local = Number(cd.readBigUInt64LE(q)); q += 8; }
        }
        e += 4 + len;
      }
      entries.push({ name, method, crc32: crc, compressedSize: comp, uncompressedSize: uncomp, localHeaderOffset: local,
        isDirectory: name.endsWith('/') });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  } finally {
    fs.closeSync(fd);
  }
}

/** Resolves `rel` under `destDir`, refusing absolute names and `..` escapes. */
export function safeJoin(destDir: string, rel: string, archive: string): string {
  const norm = rel.replace(/\\/g, '/');
  if (norm.startsWith('/') || /^[a-zA-Z]:/.test(norm)) throw new Error(`${archive}: refusing absolute entry name '${rel}'`);
  const root = path.resolve(destDir);
  const target = path.resolve(root, norm);
  if (target !== root && !target.startsWith(root + path.sep)) throw new Error(`${archive}: refusing entry '${rel}' outside ${destDir}`);
  return target;
}

class Crc32Check extends Transform {
  crc = 0;
  bytes = 0;
  _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.crc = zlib.crc32(chunk, this.crc);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/** Extracts the archive at `file` into `destDir`; returns the written (or already present) files. */
export async function extractZip(file: string, destDir: string, opts: ExtractOptions = {}): Promise<string[]> {
  const entries = listZip(file).filter((e) => !e.isDirectory);
  const written: string[] = [];
  const fd = fs.openSync(file, 'r');
  try {
    let done = 0;
    for (const entry of entries) {
      done++;
      const rel = opts.map ? opts.map(entry.name) : entry.name;
      if (rel === null) continue;
      const target = safeJoin(destDir, rel, file);
      if ((opts.skipExisting ?? true) && fs.existsSync(target) && fs.statSync(target).size === entry.uncompressedSize) {
        written.push(target);
        continue;
      }
      if (entry.method !== 0 && entry.method !== 8) {
        throw new Error(`${file}: entry '${entry.name}' uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
      }
      const lh = readAt(fd, entry.localHeaderOffset, 30);
      if (lh.length < 30 || lh.readUInt32LE(0) !== 0x04034b50) throw new Error(`${file}: bad local header for '${entry.name}'`);
      const dataStart = entry.localHeaderOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const part = `${target}.part`;
      const check = new Crc32Check();
      try {
        if (entry.compressedSize === 0) {
          fs.writeFileSync(part, Buffer.alloc(0));
        } else {
          const src = fs.createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
          if (entry.method === 8) await pipeline(src, zlib.createInflateRaw(), check, fs.createWriteStream(part));
          else await pipeline(src, check, fs.createWriteStream(part));
        }
        if (check.bytes !== entry.uncompressedSize || (check.bytes > 0 && (check.crc >>> 0) !== entry.crc32)) {
          throw new Error(`${file}: entry '${entry.name}' is corrupt (size ${check.bytes}/${entry.uncompressedSize}, ` +
            `CRC ${(check.crc >>> 0).toString(16)}/${entry.crc32.toString(16)})`);
        }
        fs.renameSync(part, target);
      } catch (err) {
        fs.rmSync(part, { force: true });
        throw err;
      }
      written.push(target);
      opts.onEntry?.(target, done, entries.length);
    }
  } finally {
    fs.closeSync(fd);
  }
  return written;
}
