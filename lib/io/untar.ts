/**
 * Streaming extraction of uncompressed POSIX tar archives (ustar / GNU long names / pax `path`), as used by
 * the EDSR project's `benchmark.tar` and `Flickr2K.tar`. Regular files only; each is written to
 * `<target>.part` and renamed into place. Names escaping the destination are refused (see unzip.ts safeJoin).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAt } from './read-at';
import { safeJoin, type ExtractOptions } from './unzip';

function field(block: Buffer, start: number, len: number): string {
  const raw = block.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.toString('utf8', 0, nul < 0 ? len : nul);
}

function octal(block: Buffer, start: number, len: number): number {
  if (block[start] & 0x80) {
    // GNU base-256 for sizes >= 8 GiB
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + block[i];
    return v;
  }
  const s = field(block, start, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let p = 0;
  const buf = Buffer.from(text, 'utf8');
  while (p < buf.length) {
    const sp = buf.indexOf(0x20, p);
    if (sp < 0) break;
    const len = parseInt(buf.toString('utf8', p, sp), 10);
    if (!(len > 0)) break;
    const rec = buf.toString('utf8', sp + 1, p + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    p += len;
  }
  return out;
}

/** Extracts the tar archive at `file` into `destDir`; returns the written (or already present) files. */
export async function extractTar(file: string, destDir: string, opts: ExtractOptions = {}): Promise<string[]> {
  const fd = fs.openSync(file, 'r');
  const written: string[] = [];
  try {
    const size = fs.fstatSync(fd).size;
    let pos = 0;
    let longName: string | null = null;
    let paxPath: string | null = null;
    let done = 0;
    while (pos + 512 <= size) {
      const block = readAt(fd, pos, 512);
      if (block.every((b) => b === 0)) break; // end-of-archive marker
      const sum = octal(block, 148, 8);
      let check = 0;
      for (let i = 0; i < 512; i++) check += i >= 148 && i < 156 ? 0x20 : block[i];
      if (sum !== check) throw new Error(`${file}: bad tar header checksum at byte ${pos}`);
      const type = String.fromCharCode(block[156] || 0x30);
      const entrySize = octal(block, 124, 12);
      const dataPos = pos + 512;
      pos = dataPos + Math.ceil(entrySize / 512) * 512;
      if (type === 'L') { longName = readAt(fd, dataPos, entrySize).toString('utf8').replace(/\0+$/, ''); continue; }
      if (type === 'x') { paxPath = parsePax(readAt(fd, dataPos, entrySize).toString('utf8')).path ?? null; continue; }
      if (type === 'g') continue;
      const prefix = field(block, 345, 155);
      const name = paxPath ?? longName ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
      longName = null;
      paxPath = null;
      if (type !== '0' && type !== '7') continue; // directories, links, devices: not needed for data sets
      if (dataPos + entrySize > size) throw new Error(`${file}: truncated archive (entry '${name}' runs past the end)`);
      const rel = opts.map ? opts.map(name) : name;
      if (rel === null) continue;
      const target = safeJoin(destDir, rel, file);
      done++;
      if ((opts.skipExisting ?? true) && fs.existsSync(target) && fs.statSync(target).size === entrySize) {
        written.push(target);
        continue;
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const part = `${target}.part`;
      try {
        const out = fs.openSync(part, 'w');
        try {
          const chunk = 1 << 20;
          for (let off = 0; off < entrySize; off += chunk) {
            const buf = readAt(fd, dataPos + off, Math.min(chunk, entrySize - off));
            fs.writeSync(out, buf);
          }
        } finally {
          fs.closeSync(out);
        }
        fs.renameSync(part, target);
      } catch (err) {
        fs.rmSync(part, { force: true });
        throw err;
      }
      written.push(target);
      opts.onEntry?.(target, done, -1);
      if (done % 64 === 0) await new Promise((res) => setImmediate(res)); // let progress output flush
    }
  } finally {
    fs.closeSync(fd);
  }
  return written;
}
