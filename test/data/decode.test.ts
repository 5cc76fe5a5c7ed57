import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, readImage, readImageTensor, resetDecodeWarnings, setDecodeWarn, writePng } from '../../lib/data/decode';
import { createImage } from '../../lib/data/image';
import { sharedPath } from '../shared';

/** A minimal PNG encoder, so the test controls bit depth and colour type exactly. */
function png(width: number, height: number, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16, samples: number[]): Buffer {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  const bytes = bitDepth / 8;
  const raw = Buffer.alloc(height * (1 + width * channels * bytes));
  let o = 0;
  for (let y = 0; y < height; y++) {
    raw[o++] = 0; // filter: none
    for (let i = 0; i < width * channels; i++) {
      const v = samples[y * width * channels + i];
      if (bytes === 2) o = raw.writeUInt16BE(v, o);
      else raw[o++] = v;
    }
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

let dir = '';
let lines: string[] = [];
let prevSink: ((line: string) => void) | null = null;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'srkd-decode-'));
  prevSink = setDecodeWarn((l) => lines.push(l));
});
afterAll(async () => {
  setDecodeWarn(prevSink);
  await fs.rm(dir, { recursive: true, force: true });
});

describe('decode', () => {
  it('Set14 bridge.png (grayscale) decodes to 3 equal channels, reported once', async () => {
    resetDecodeWarnings();
    lines = [];
    const file = sharedPath('data/benchmark/Set14/HR/bridge.png');
    const { image, notes } = await decodeImage(file);
    expect(notes.map((n) => n.kind)).toEqual(['grayscale']);
    expect([image.height, image.width, image.channels]).toEqual([512, 512, 3]);
    let unequal = 0;
    for (let i = 0; i < image.data.length; i += 3) if (image.data[i] !== image.data[i + 1] || image.data[i] !== image.data[i + 2]) unequal++;
    expect(unequal).toBe(0);
    expect(new Set(image.data).size).toBeGreaterThan(32); // not a constant image (bridge uses 64 grey levels)
    await readImage(file);
    await readImage(file);
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/bridge\.png: grayscale/);
  });

  it('RGB PNG decodes without notes', async () => {
    const { image, notes } = await decodeImage(sharedPath('data/benchmark/Set5/HR/baby.png'));
    expect(notes).toEqual([]);
    expect([image.height, image.width]).toEqual([512, 512]);
  });

  it('16-bit RGB keeps the high byte; alpha is dropped', async () => {
    const f16 = path.join(dir, 'rgb16.png');
    await fs.writeFile(f16, png(4, 1, 2, 16, [0, 255, 256, 65535, 300, 40000, 65535, 12345, 128, 129, 383, 384]));
    const a = await decodeImage(f16);
    expect(a.notes.map((n) => n.kind)).toEqual(['16-bit']);
    expect(Array.from(a.image.data)).toEqual([0, 0, 1, 255, 1, 156, 255, 48, 0, 0, 1, 1]);

    const fa = path.join(dir, 'rgba.png');
    await fs.writeFile(fa, png(2, 1, 6, 8, [10, 20, 30, 0, 40, 50, 60, 128]));
    const b = await decodeImage(fa);
    expect(b.notes.map((n) => n.kind)).toEqual(['alpha']);
    expect(Array.from(b.image.data)).toEqual([10, 20, 30, 40, 50, 60]);

    const fga = path.join(dir, 'grey-alpha16.png');
    await fs.writeFile(fga, png(2, 1, 4, 16, [1000, 0, 40000, 65535]));
    const c = await decodeImage(fga);
    expect(c.notes.map((n) => n.kind).sort()).toEqual(['16-bit', 'alpha', 'grayscale']);
    expect(Array.from(c.image.data)).toEqual([3, 3, 3, 156, 156, 156]);
  });

  it('a corrupt file is an error naming the file', async () => {
    const bad = path.join(dir, 'corrupt-image.png');
    const good = png(8, 8, 2, 8, new Array(192).fill(7));
    await fs.writeFile(bad, good.subarray(0, 40));
    await expect(readImage(bad)).rejects.toThrow(/corrupt-image\.png/);
    await fs.writeFile(bad, 'not an image at all');
    await expect(readImage(bad)).rejects.toThrow(/cannot decode image '.*corrupt-image\.png'/);
    await expect(readImage(path.join(dir, 'missing.png'))).rejects.toThrow(/cannot read image '.*missing\.png'/);
  });

  it('writePng round-trips exactly and readImageTensor gives [1,H,W,3] in [0,1]', async () => {
    const img = createImage(5, 7, Uint8Array.from({ length: 105 }, (_, i) => (i * 37) % 256));
    const f = path.join(dir, 'sub', 'round.png');
    await writePng(f, img);
    const back = await readImage(f);
    expect(back).toEqual(img);
    await writePng(f, createImage(5, 7)); // overwrite: must not read a cached old version
    expect(Array.from((await readImage(f)).data).every((v) => v === 0)).toBe(true);
    const t = await readImageTensor(f);
    expect(t.shape).toEqual([1, 5, 7, 3]);
    expect(t.dtype).toBe('float32');
    t.dispose();
  });
});
