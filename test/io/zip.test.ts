import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZipError, listZip, openZipFile, readZipDirectory, readZipEntry } from '../../lib/io/zip';
import { extractZip } from '../../lib/io/unzip';

// Made by Info-ZIP zip 3.0, not by this kit: `zip -X -fz t.zip a.txt d/c.txt && zip -X -fz -0 t.zip b.bin`.
// -fz forces ZIP64: the end-of-central-directory record saturates the directory offset (0xffffffff), so the
// ZIP64 record and locator must be read; central headers saturate the size and carry it in a ZIP64 extra field.
const ZIP64 = Buffer.from(
  'UEsDBC0AAAAAAN1Fg13q40/t//////////8FABQAYS50eHQBABAADAAAAAAAAAAMAAAAAAAAAGhlbGxvIHppcDY0ClBLAwQtAAAA' +
  'CADdRYNdijQiVf//////////BwAUAGQvYy50eHQBABAA0AcAAAAAAAAcAAAAAAAAADMwNDI2MTUzt7A0GGWNskZZo6xR1ihrlDVE' +
  'WQBQSwMELQAAAAAA3UWDXYzODhD//////////wUAFABiLmJpbgEAEABAAAAAAAAAAEAAAAAAAAAAAAECAwQFBgcICQoLDA0ODxAR' +
  'EhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P1BLAQIeAy0AAAAAAN1Fg13q40/tDAAAAP////8F' +
  'AAwAAAAAAAEAAACkgQAAAABhLnR4dAEACAAMAAAAAAAAAFBLAQIeAy0AAAAIAN1Fg12KNCJVHAAAAP////8HAAwAAAAAAAEAAACk' +
  'gUMAAABkL2MudHh0AQAIANAHAAAAAAAAUEsBAh4DLQAAAAAA3UWDXYzODhBAAAAA/////wUADAAAAAAAAAAAAKSBmAAAAGIuYmlu' +
  'AQAIAEAAAAAAAAAAUEsGBiwAAAAAAAAAHgMtAAAAAAAAAAAAAwAAAAAAAAADAAAAAAAAAL8AAAAAAAAADwEAAAAAAABQSwYHAAAA' +
  'AM4BAAAAAAAAAQAAAFBLBQYAAAAAAwADAL8AAAD/////AAA=', 'base64');
const CONTENTS: Record<string, Buffer> = {
  'a.txt': Buffer.from('hello zip64\n'),
  'd/c.txt': Buffer.from('0123456789'.repeat(200)),
  'b.bin': Buffer.from(Array.from({ length: 64 }, (_, i) => i)),
};
// As Python's zipfile lists the archive: name, method, compressed size, size, CRC-32, local header offset.
const PYTHON_LISTING = [
  ['a.txt', 0, 12, 12, 0xed4fe3ea, 0],
  ['d/c.txt', 8, 28, 2000, 0x5522348a, 67],
  ['b.bin', 0, 64, 64, 0x100ece8c, 152],
];

const tmpRoots: string[] = [];
function tmpFile(name: string, bytes: Uint8Array): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-zip-'));
  tmpRoots.push(d);
  fs.writeFileSync(path.join(d, name), bytes);
  return path.join(d, name);
}
afterAll(() => { for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true }); });

describe('zip reader', () => {
  it('reads a ZIP64 archive the same from memory and from its file descriptor', async () => {
    const entries = readZipDirectory(ZIP64);
    expect(entries.map((e) => [e.name, e.method, e.compressedSize, e.uncompressedSize, e.crc32, e.localHeaderOffset])).toEqual(PYTHON_LISTING);
    const file = tmpFile('t.zip', ZIP64);
    expect(listZip(file)).toEqual(entries);
    const zip = openZipFile(file);
    try {
      for (const e of entries) {
        expect(Buffer.from(readZipEntry(ZIP64, e, { verifyCrc: true })).equals(CONTENTS[e.name]), e.name).toBe(true);
        expect(Buffer.from(readZipEntry(zip, e, { verifyCrc: true })).equals(CONTENTS[e.name]), e.name).toBe(true);
      }
    } finally {
      zip.close();
    }
    const out = path.join(path.dirname(file), 'out');
    await extractZip(file, out);
    for (const [name, data] of Object.entries(CONTENTS)) expect(fs.readFileSync(path.join(out, name)).equals(data), name).toBe(true);
  });

  it('names the archive (when read from a file) and the entry in its errors', async () => {
    const bad = Buffer.from(ZIP64);
    bad[152 + 30 + 'b.bin'.length + 20 + 7] ^= 0x01; // a data byte of the stored b.bin, after its 20-byte ZIP64 extra
    const b = readZipDirectory(bad).find((e) => e.name === 'b.bin')!;
    expect(() => readZipEntry(bad, b, { verifyCrc: true })).toThrow(/^entry 'b\.bin': CRC-32 mismatch \(stored 100ece8c, computed [0-9a-f]{8}\); file corrupt$/);
    expect(() => readZipEntry(bad, b)).not.toThrow();
    const file = tmpFile('bad.zip', bad);
    const err = await extractZip(file, path.join(path.dirname(file), 'out')).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ZipError);
    expect((err as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: entry 'b\\.bin': CRC-32 mismatch`));
    expect(fs.existsSync(path.join(path.dirname(file), 'out', 'b.bin.part'))).toBe(false);

    const cut = tmpFile('cut.zip', ZIP64.subarray(0, ZIP64.length - 30));
    expect(() => listZip(cut)).toThrow(`${cut}: end-of-central-directory record not found`);
    const deflate = Buffer.from(ZIP64);
    deflate[67 + 30 + 'd/c.txt'.length + 20] = 0xff; // first deflate byte: block type 3 does not exist
    const c = readZipDirectory(deflate).find((e) => e.name === 'd/c.txt')!;
    expect(() => readZipEntry(deflate, c)).toThrow(/^entry 'd\/c\.txt': deflate data is corrupt/);
    const dfile = tmpFile('deflate.zip', deflate);
    await expect(extractZip(dfile, path.join(path.dirname(dfile), 'out'))).rejects.toThrow(`${dfile}: entry 'd/c.txt': deflate data is corrupt`);
  });
});
