/**
 * ZIP extraction from a file on disk into a folder (data-set archives of several GB, e.g. DIV2K_train_HR.zip,
 * never go through memory whole: zip.ts reads the directory and streams each entry from the file descriptor).
 * Each entry is written to `<target>.part` and renamed into place, so a broken extraction leaves no
 * half-written image under its final name. Entry names that would escape the destination are refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyZipEntry, openZipFile, readZipDirectory } from './zip';

export interface ExtractOptions {
  /** Maps an entry name to a path relative to the destination, or null to skip it. Default: the name itself. */
  readonly map?: (name: string) => string | null;
  /** Called after each written file. */
  readonly onEntry?: (written: string, done: number, total: number) => void;
  /** Skip entries whose target already exists with the right size (default true). */
  readonly skipExisting?: boolean;
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

/** Extracts the archive at `file` into `destDir`; returns the written (or already present) files. */
export async function extractZip(file: string, destDir: string, opts: ExtractOptions = {}): Promise<string[]> {
  const zip = openZipFile(file);
  const written: string[] = [];
  try {
    const entries = readZipDirectory(zip).filter((e) => !e.isDirectory);
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
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const part = `${target}.part`;
      try {
        await copyZipEntry(zip, entry, fs.createWriteStream(part));
        fs.renameSync(part, target);
      } catch (err) {
        fs.rmSync(part, { force: true });
        throw err;
      }
      written.push(target);
      opts.onEntry?.(target, done, entries.length);
    }
  } finally {
    zip.close();
  }
  return written;
}
