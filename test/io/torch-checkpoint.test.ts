import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../shared';
import {
  TorchCheckpointError, TorchTensor, TorchValue, findStateDict, isTorchTensor, readTorchCheckpoint, stateDict,
  tensorToNumbers,
} from '../../lib/io/torch/checkpoint';
import { RefusedGlobalError, unpickle } from '../../lib/io/torch/pickle';
import { readZipDirectory, readZipEntry } from '../../lib/io/zip';

const FIXTURES = sharedPath('data', 'fixtures');
const VECTORS = JSON.parse(fs.readFileSync(sharedPath('spec', 'vectors', 'checkpoint_fixtures.json'), 'utf8'));
const AUX_SHA256: Record<string, string> = JSON.parse(fs.readFileSync(sharedPath('spec', 'vectors', 'aux_fixtures.json'), 'utf8')).sha256;
const fixture = (name: string): string => path.join(FIXTURES, name);

const ALL_FIXTURES: Record<string, 'zip' | 'legacy'> = {
  'storage_views_zip.pt': 'zip', 'storage_views_legacy.pt': 'legacy',
  'tiny_edsr_basicsr_x2_zip.pth': 'zip', 'tiny_edsr_official_x2_legacy.pt': 'legacy',
  'tiny_rcan_official_x3_legacy.pt': 'legacy', 'tiny_swinir_x2_zip.pth': 'zip',
  // CSD / DCKD fixtures (the Lightning .ckpt needs inert foreign globals: test/io/lightning-checkpoint.test.ts).
  'aux_expected.pt': 'zip', 'tiny_csd_edsr_x2.pt': 'zip', 'tiny_csd_edsr_x3.pt': 'zip', 'tiny_csd_edsr_x4.pt': 'zip',
  'tiny_vgg19_torchvision.pth': 'legacy',
};

let tmp = '';
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-ckpt-')); });
afterAll(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

function asDict(v: TorchValue): Record<string, TorchValue> {
  expect(typeof v === 'object' && v !== null && !Array.isArray(v) && !isTorchTensor(v)).toBe(true);
  return v as Record<string, TorchValue>;
}

function tensor(v: TorchValue | undefined): TorchTensor {
  expect(isTorchTensor(v)).toBe(true);
  return v as TorchTensor;
}

/** The error thrown by `fn`, asserting it is a clean TorchCheckpointError naming `file`. */
function checkpointError(fn: () => unknown, file: string): TorchCheckpointError {
  let caught: unknown = null;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an error').toBeInstanceOf(TorchCheckpointError);
  const e = caught as TorchCheckpointError;
  expect(e.message.startsWith(`${file}: `)).toBe(true);
  expect(e.file).toBe(file);
  return e;
}

// A minimal stored/deflate ZIP writer (not PyTorch's layout: no alignment padding, no ZIP64, no data descriptors).
function makeZip(files: Array<{ name: string; data: Uint8Array; deflate?: boolean }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const body = f.deflate ? zlib.deflateRawSync(f.data) : Buffer.from(f.data);
    const crc = zlib.crc32(f.data) >>> 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(f.deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc, 14); lh.writeUInt32LE(body.length, 18); lh.writeUInt32LE(f.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    locals.push(lh, name, body);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(f.deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc, 16); ch.writeUInt32LE(body.length, 20); ch.writeUInt32LE(f.data.length, 24);
    ch.writeUInt16LE(name.length, 28); ch.writeUInt32LE(offset, 42);
    centrals.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(files.length, 8); eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** The three header pickles of a legacy stream, copied from a fixture. */
function legacyHeader(): Buffer {
  const buf = fs.readFileSync(fixture('storage_views_legacy.pt'));
  let end = 0;
  for (let i = 0; i < 3; i++) end = unpickle(buf, end).end;
  return buf.subarray(0, end);
}

describe('fixture files', () => {
  it('match the sizes and SHA-256 listed in checkpoint_fixtures.json (aux_fixtures.json for the CSD / DCKD ones)', () => {
    for (const name of Object.keys(ALL_FIXTURES)) {
      const buf = fs.readFileSync(fixture(name));
      if (AUX_SHA256[name] !== undefined) {
        expect(createHash('sha256').update(buf).digest('hex'), name).toBe(AUX_SHA256[name]);
        continue;
      }
      expect(buf.length, name).toBe(VECTORS.bytes[name]);
      expect(createHash('sha256').update(buf).digest('hex'), name).toBe(VECTORS.sha256[name]);
    }
  });

  it('every fixture loads, in the expected format', () => {
    const present = fs.readdirSync(FIXTURES).filter((f) => /\.(pt|pth)$/.test(f)); // the Lightning .ckpt: lightning-checkpoint.test.ts
    expect(present.sort()).toEqual(Object.keys(ALL_FIXTURES).sort());
    for (const name of present) {
      const ckpt = readTorchCheckpoint(fixture(name));
      expect(ckpt.format, name).toBe(ALL_FIXTURES[name]);
      expect(ckpt.source).toBe(fixture(name));
      // The same bytes through a buffer give the same tree (deep comparison on the small files only: CPU is shared).
      const again = readTorchCheckpoint(fs.readFileSync(fixture(name)), { name });
      expect(again.source).toBe(name);
      if (fs.statSync(fixture(name)).size < 30_000) expect(again.root).toEqual(ckpt.root);
      else expect(Object.keys(stateDict(again))).toEqual(Object.keys(stateDict(ckpt)));
    }
  });
});

describe.each(['storage_views_zip.pt', 'storage_views_legacy.pt'])('%s', (file) => {
  const expected = VECTORS.storage_views.expected as Record<string, { dtype: string; shape: number[]; values: unknown[] }>;

  it('has the expected keys, dtypes, shapes and values', () => {
    const root = asDict(readTorchCheckpoint(fixture(file)).root);
    expect(Object.keys(root)).toEqual(Object.keys(expected));
    for (const [key, exp] of Object.entries(expected)) {
      if (key === 'meta') continue;
      const t = tensor(root[key]);
      expect(t.dtype, key).toBe(exp.dtype);
      expect(t.shape, key).toEqual(exp.shape);
      expect(t.data.length, key).toBe(exp.shape.reduce((a, b) => a * b, 1));
      const want = exp.values.map((v) => (v === true ? 1 : v === false ? 0 : v));
      expect(tensorToNumbers(t), key).toEqual(want);
    }
    expect(root.meta).toEqual(expected.meta);
  });

  it('uses the documented typed arrays', () => {
    const root = asDict(readTorchCheckpoint(fixture(file)).root);
    expect(tensor(root.base).data).toBeInstanceOf(Float32Array);
    expect(tensor(root.f64).data).toBeInstanceOf(Float64Array);
    expect(tensor(root.i64).data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(tensor(root.i64).data as BigInt64Array)).toEqual([1n, -2n, 3n, 4n]);
    expect(tensor(root.u8).data).toBeInstanceOf(Uint8Array);
    expect(tensor(root.bool).data).toBeInstanceOf(Uint8Array);
    expect(tensor(root.f16).data).toBeInstanceOf(Uint16Array);
    expect(Array.from(tensor(root.f16).data as Uint16Array)).toEqual([0x3800, 0xbc00, 0x7bff]);
  });

  it('upcasts float16 to float32 when asked', () => {
    const root = asDict(readTorchCheckpoint(fixture(file), { upcastHalf: true }).root);
    const f16 = tensor(root.f16);
    expect(f16.dtype).toBe('float32');
    expect(f16.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f16.data as Float32Array)).toEqual([0.5, -1, 65504]);
    expect(tensor(root.base).dtype).toBe('float32');
  });

  it('gives views of a shared storage as independent contiguous copies', () => {
    const root = asDict(readTorchCheckpoint(fixture(file)).root);
    const base = tensor(root.base);
    const row = tensor(root.row_view);
    const col = tensor(root.col_view);
    const tr = tensor(root.transposed);
    for (const t of [row, col, tr]) expect(t.data.buffer).not.toBe(base.data.buffer);
    (base.data as Float32Array)[6] = -1;
    expect((row.data as Float32Array)[0]).toBe(6);
    expect((tr.data as Float32Array)[1]).toBe(6);
    // transposed[i][j] == base[j][i]
    const b = tensorToNumbers(tensor(asDict(readTorchCheckpoint(fixture(file)).root).base));
    for (let i = 0; i < 6; i++) for (let j = 0; j < 4; j++) expect((tr.data as Float32Array)[i * 4 + j]).toBe(b[j * 6 + i]);
  });

  it('stateDict of a mixed dict fails with the top-level keys listed', () => {
    const ckpt = readTorchCheckpoint(fixture(file));
    const e = checkpointError(() => stateDict(ckpt), fixture(file));
    expect(e.message).toMatch(/no state dict found/);
    expect(e.message).toMatch(/'base'/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Network fixtures: key lists from the configurations (spec/checkpoints.md §6, architectures.md)

function edsrBasicsrShapes(c: number, blocks: number, scale: number): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [];
  const conv = (n: string, o: number, i: number, k = 3): void => { out.push([`${n}.weight`, [o, i, k, k]], [`${n}.bias`, [o]]); };
  conv('conv_first', c, 3);
  for (let b = 0; b < blocks; b++) { conv(`body.${b}.conv1`, c, c); conv(`body.${b}.conv2`, c, c); }
  conv('conv_after_body', c, c);
  conv('upsample.0', scale === 3 ? 9 * c : 4 * c, c);
  if (scale === 4) conv('upsample.2', 4 * c, c);
  conv('conv_last', 3, c);
  return out;
}

function edsrOfficialShapes(c: number, blocks: number, scale: number): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [];
  const conv = (n: string, o: number, i: number, k = 3): void => { out.push([`${n}.weight`, [o, i, k, k]], [`${n}.bias`, [o]]); };
  conv('sub_mean', 3, 3, 1);
  conv('add_mean', 3, 3, 1);
  conv('head.0', c, 3);
  for (let b = 0; b < blocks; b++) { conv(`body.${b}.body.0`, c, c); conv(`body.${b}.body.2`, c, c); }
  conv(`body.${blocks}`, c, c);
  conv('tail.0.0', scale === 3 ? 9 * c : 4 * c, c);
  if (scale === 4) conv('tail.0.2', 4 * c, c);
  conv('tail.1', 3, c);
  return out;
}

function rcanOfficialShapes(c: number, groups: number, blocks: number, red: number, scale: number): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [];
  const conv = (n: string, o: number, i: number, k = 3): void => { out.push([`${n}.weight`, [o, i, k, k]], [`${n}.bias`, [o]]); };
  conv('sub_mean', 3, 3, 1);
  conv('head.0', c, 3);
  for (let g = 0; g < groups; g++) {
    for (let b = 0; b < blocks; b++) {
      const p = `body.${g}.body.${b}.body`;
      conv(`${p}.0`, c, c); conv(`${p}.2`, c, c);
      conv(`${p}.3.conv_du.0`, c / red, c, 1); conv(`${p}.3.conv_du.2`, c, c / red, 1);
    }
    conv(`body.${g}.body.${blocks}`, c, c);
  }
  conv(`body.${groups}`, c, c);
  conv('tail.0.0', scale === 3 ? 9 * c : 4 * c, c);
  if (scale === 4) conv('tail.0.2', 4 * c, c);
  conv('tail.1', 3, c);
  conv('add_mean', 3, 3, 1);
  return out;
}

function swinirShapes(cfg: { embed_dim: number; depths: number[]; num_heads: number[]; window_size: number; mlp_ratio: number; num_feat: number; upscale: number; img_size: number }): Array<[string, number[]]> {
  const c = cfg.embed_dim;
  const ws = cfg.window_size;
  const nw = (cfg.img_size / ws) ** 2;
  const out: Array<[string, number[]]> = [];
  const lin = (n: string, o: number, i: number): void => { out.push([`${n}.weight`, [o, i]], [`${n}.bias`, [o]]); };
  const conv = (n: string, o: number, i: number): void => { out.push([`${n}.weight`, [o, i, 3, 3]], [`${n}.bias`, [o]]); };
  const norm = (n: string): void => { out.push([`${n}.weight`, [c]], [`${n}.bias`, [c]]); };
  conv('conv_first', c, 3);
  norm('patch_embed.norm');
  cfg.depths.forEach((depth, k) => {
    for (let d = 0; d < depth; d++) {
      const p = `layers.${k}.residual_group.blocks.${d}`;
      if (d % 2 === 1) out.push([`${p}.attn_mask`, [nw, ws * ws, ws * ws]]);
      norm(`${p}.norm1`);
      out.push([`${p}.attn.relative_position_bias_table`, [(2 * ws - 1) ** 2, cfg.num_heads[k]]]);
      out.push([`${p}.attn.relative_position_index`, [ws * ws, ws * ws]]);
      lin(`${p}.attn.qkv`, 3 * c, c);
      lin(`${p}.attn.proj`, c, c);
      norm(`${p}.norm2`);
      lin(`${p}.mlp.fc1`, cfg.mlp_ratio * c, c);
      lin(`${p}.mlp.fc2`, c, cfg.mlp_ratio * c);
    }
    conv(`layers.${k}.conv`, c, c);
  });
  norm('norm');
  conv('conv_after_body', c, c);
  conv('conv_before_upsample.0', cfg.num_feat, c);
  conv('upsample.0', cfg.upscale === 3 ? 9 * cfg.num_feat : 4 * cfg.num_feat, cfg.num_feat);
  conv('conv_last', 3, cfg.num_feat);
  return out;
}

function expectLayout(sd: Record<string, TorchTensor>, want: Array<[string, number[]]>): void {
  expect(Object.keys(sd)).toEqual(want.map(([k]) => k));
  for (const [k, shape] of want) {
    expect(sd[k].shape, k).toEqual(shape);
    expect(sd[k].data.length, k).toBe(shape.reduce((a, b) => a * b, 1));
  }
}

function expectMeanShift(sd: Record<string, TorchTensor>, name: 'sub_mean' | 'add_mean', mean: number[]): void {
  expect(Array.from(sd[`${name}.weight`].data as Float32Array)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const sign = name === 'sub_mean' ? -1 : 1;
  const bias = Array.from(sd[`${name}.bias`].data as Float32Array);
  bias.forEach((b, i) => expect(b).toBeCloseTo(sign * 255 * mean[i], 4));
}

describe('network fixtures', () => {
  const edsr = VECTORS.tiny_edsr.config;
  const rcan = VECTORS.tiny_rcan.config;
  const swin = VECTORS.tiny_swinir.config;

  it('tiny EDSR (BasicSR, zip): {params: state_dict} with BasicSR keys', () => {
    const ckpt = readTorchCheckpoint(fixture('tiny_edsr_basicsr_x2_zip.pth'));
    expect(Object.keys(asDict(ckpt.root))).toEqual(['params']);
    expect(findStateDict(ckpt).path).toEqual(['params']);
    const sd = stateDict(ckpt);
    expectLayout(sd, edsrBasicsrShapes(edsr.num_feat, edsr.num_block, edsr.upscale));
    for (const t of Object.values(sd)) expect(t.dtype).toBe('float32');
  });

  it('tiny EDSR (official, legacy): bare state_dict, same weights as the BasicSR file', () => {
    const ckpt = readTorchCheckpoint(fixture('tiny_edsr_official_x2_legacy.pt'));
    expect(findStateDict(ckpt).path).toEqual([]);
    const sd = stateDict(ckpt);
    expectLayout(sd, edsrOfficialShapes(edsr.num_feat, edsr.num_block, edsr.upscale));
    expectMeanShift(sd, 'sub_mean', edsr.rgb_mean);
    expectMeanShift(sd, 'add_mean', edsr.rgb_mean);
    const basic = stateDict(readTorchCheckpoint(fixture('tiny_edsr_basicsr_x2_zip.pth')));
    const rename: Record<string, string> = { 'head.0': 'conv_first', [`body.${edsr.num_block}`]: 'conv_after_body', 'tail.0.0': 'upsample.0', 'tail.1': 'conv_last' };
    for (let b = 0; b < edsr.num_block; b++) { rename[`body.${b}.body.0`] = `body.${b}.conv1`; rename[`body.${b}.body.2`] = `body.${b}.conv2`; }
    for (const [off, bas] of Object.entries(rename)) {
      for (const s of ['weight', 'bias']) expect(sd[`${off}.${s}`], `${off}.${s}`).toEqual(basic[`${bas}.${s}`]);
    }
  });

  it('tiny RCAN (official, legacy): bare state_dict with official keys', () => {
    const sd = stateDict(readTorchCheckpoint(fixture('tiny_rcan_official_x3_legacy.pt')));
    expectLayout(sd, rcanOfficialShapes(rcan.num_feat, rcan.num_group, rcan.num_block, rcan.squeeze_factor, rcan.upscale));
    expectMeanShift(sd, 'sub_mean', rcan.rgb_mean);
    expectMeanShift(sd, 'add_mean', rcan.rgb_mean);
  });

  it('tiny SwinIR (zip): {params: state_dict} with official keys and buffers', () => {
    const sd = stateDict(readTorchCheckpoint(fixture('tiny_swinir_x2_zip.pth')));
    expectLayout(sd, swinirShapes(swin));
    const ws = swin.window_size;
    const n = ws * ws;
    const shift = ws / 2;
    // relative_position_index[p, q] = (yp - yq + ws - 1) * (2ws - 1) + (xp - xq + ws - 1)
    const rpi = sd['layers.1.residual_group.blocks.0.attn.relative_position_index'];
    expect(rpi.dtype).toBe('int64');
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) {
        const want = (Math.floor(p / ws) - Math.floor(q / ws) + ws - 1) * (2 * ws - 1) + ((p % ws) - (q % ws) + ws - 1);
        expect(Number((rpi.data as BigInt64Array)[p * n + q])).toBe(want);
      }
    }
    // attn_mask for the img_size x img_size training size (architectures.md 4.4).
    const h = swin.img_size;
    const band = (i: number): number => (i < h - ws ? 0 : i < h - shift ? 1 : 2);
    const mask = sd['layers.0.residual_group.blocks.1.attn_mask'];
    const nW = h / ws;
    for (let w = 0; w < nW * nW; w++) {
      const label = (t: number): number => {
        const y = Math.floor(w / nW) * ws + Math.floor(t / ws);
        const x = (w % nW) * ws + (t % ws);
        return 3 * band(y) + band(x);
      };
      for (let p = 0; p < n; p++) {
        for (let q = 0; q < n; q++) {
          expect((mask.data as Float32Array)[(w * n + p) * n + q]).toBe(label(p) === label(q) ? 0 : -100);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('stateDict', () => {
  const t = (v: number): TorchTensor => ({ dtype: 'float32', shape: [1], data: new Float32Array([v]) });

  it('prefers params_ema, falls back to params, and strips module.', () => {
    expect(stateDict({ params: { 'a.weight': t(1) }, params_ema: { 'module.a.weight': t(2) } })).toEqual({ 'a.weight': t(2) });
    expect(stateDict({ params: { 'module.a.weight': t(1) } })).toEqual({ 'a.weight': t(1) });
    expect(stateDict({ params: { 'module.a.weight': t(1) } }, { stripPrefix: null })).toEqual({ 'module.a.weight': t(1) });
    expect(stateDict({ params: { x: t(1) }, params_ema: { x: t(2) } }, { prefer: ['params'] })).toEqual({ x: t(1) });
  });

  it('finds state_dict / model wrappers, one level deep, and a lone dict of tensors', () => {
    expect(findStateDict({ epoch: 3, state_dict: { w: t(1) } }).path).toEqual(['state_dict']);
    expect(findStateDict({ model: { state_dict: { w: t(1) } } }).path).toEqual(['model', 'state_dict']);
    expect(findStateDict({ epoch: 3, weights: { w: t(1) } }).path).toEqual(['weights']);
    expect(() => stateDict({ epoch: 3 })).toThrow(/no state dict found.*'epoch'/);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('truncated and corrupt files', () => {
  it.each(Object.keys(ALL_FIXTURES))('truncated copies of %s fail cleanly', (name) => {
    const buf = fs.readFileSync(fixture(name));
    const file = path.join(tmp, `trunc-${name}`);
    const cuts = [1, 3, 13, 40, 100, 137, 500, Math.floor(buf.length / 2), buf.length - 100, buf.length - 30, buf.length - 1];
    for (const cut of cuts) {
      if (cut <= 0 || cut >= buf.length) continue;
      fs.writeFileSync(file, buf.subarray(0, cut));
      const e = checkpointError(() => readTorchCheckpoint(file), file);
      expect(e.message, `cut at ${cut}`).not.toMatch(/RangeError|Cannot read|undefined/);
    }
  });

  it('a truncated ZIP checkpoint names the missing end of the archive', () => {
    const buf = fs.readFileSync(fixture('tiny_swinir_x2_zip.pth'));
    const file = path.join(tmp, 'cut.pth');
    fs.writeFileSync(file, buf.subarray(0, buf.length - 200));
    expect(checkpointError(() => readTorchCheckpoint(file), file).message).toMatch(/end-of-central-directory record not found/);
  });

  it('a truncated legacy checkpoint names the storage that is cut', () => {
    const buf = fs.readFileSync(fixture('tiny_rcan_official_x3_legacy.pt'));
    const file = path.join(tmp, 'cut.pt');
    fs.writeFileSync(file, buf.subarray(0, buf.length - 1000));
    expect(checkpointError(() => readTorchCheckpoint(file), file).message).toMatch(/truncated: storage '\d+' needs \d+ bytes/);
    fs.writeFileSync(file, buf.subarray(0, 2000));
    expect(checkpointError(() => readTorchCheckpoint(file), file).message).toMatch(/truncated/);
  });

  it('every single-byte corruption of the ZIP fixture either fails cleanly or leaves the contents unchanged', () => {
    const buf = fs.readFileSync(fixture('storage_views_zip.pt'));
    const good = readTorchCheckpoint(buf, { name: 'x' }).root;
    let failures = 0;
    for (let i = 0; i < buf.length; i++) {
      const bad = Buffer.from(buf);
      bad[i] ^= 0x5a;
      try {
        const root = readTorchCheckpoint(bad, { name: 'corrupt.pt' }).root;
        expect(root, `byte ${i}`).toEqual(good);
      } catch (err) {
        failures++;
        expect(err, `byte ${i}`).toBeInstanceOf(TorchCheckpointError);
        expect((err as Error).message.startsWith('corrupt.pt: ')).toBe(true);
      }
    }
    expect(failures).toBeGreaterThan(buf.length / 4);
  });

  it('every single-byte corruption of a legacy fixture fails cleanly or loads', () => {
    const buf = fs.readFileSync(fixture('storage_views_legacy.pt'));
    for (let i = 0; i < buf.length; i++) {
      for (const x of [0x01, 0xff]) {
        const bad = Buffer.from(buf);
        bad[i] ^= x;
        try {
          readTorchCheckpoint(bad, { name: 'corrupt.pt' });
        } catch (err) {
          expect(err, `byte ${i} ^ ${x}`).toBeInstanceOf(TorchCheckpointError);
          expect((err as Error).message.startsWith('corrupt.pt: ')).toBe(true);
        }
      }
    }
  });

  it('a corrupted storage byte in a ZIP checkpoint is caught by the CRC', () => {
    const buf = Buffer.from(fs.readFileSync(fixture('tiny_edsr_basicsr_x2_zip.pth')));
    const entries = readZipDirectory(buf);
    const e = entries.find((x) => x.name.endsWith('/data/3'));
    expect(e).toBeDefined();
    const data = readZipEntry(buf, e!);
    buf[data.byteOffset - buf.byteOffset + 5] ^= 0x10;
    const file = path.join(tmp, 'crc.pth');
    fs.writeFileSync(file, buf);
    expect(checkpointError(() => readTorchCheckpoint(file), file).message).toMatch(/data\/3': CRC-32 mismatch/);
    expect(() => readTorchCheckpoint(file, { verifyCrc: false })).not.toThrow();
  });

  it('a bad opcode names the opcode offset', () => {
    const buf = Buffer.from(fs.readFileSync(fixture('storage_views_legacy.pt')));
    buf[170] = 0xff; // the MARK after the OrderedDict REDUCE in the object pickle
    const e = checkpointError(() => readTorchCheckpoint(buf, { name: 'op.pt' }), 'op.pt');
    expect(e.message).toMatch(/at offset 170: unknown opcode 0xff/);
  });

  it('rejects files that are not torch checkpoints', () => {
    const file = path.join(tmp, 'x.pt');
    fs.writeFileSync(file, Buffer.alloc(0));
    expect(checkpointError(() => readTorchCheckpoint(file), file).message).toMatch(/empty file/);
    fs.writeFileSync(file, Buffer.from('\x80\x02}q\x00.', 'latin1'));
    expect(checkpointError(() => readTorchCheckpoint(file), file).message).toMatch(/plain pickle/);
    fs.writeFileSync(file, Buffer.from('hello world, not a checkpoint'));
    expect(checkpointError(() => readTorchCheckpoint(file), file).message).toMatch(/not a PyTorch checkpoint/);
    const missing = path.join(tmp, 'missing.pt');
    expect(checkpointError(() => readTorchCheckpoint(missing), missing).message).toMatch(/cannot read file/);
  });

  it('a view reaching past its storage is an error, not a silent over-read', () => {
    // storage of 24 floats; a 5x6 view would need 30.
    const buf = Buffer.from(fs.readFileSync(fixture('storage_views_legacy.pt')));
    expect(buf[291]).toBe(4); // BININT1 4 = size[0] of 'base'
    buf[291] = 5;
    expect(checkpointError(() => readTorchCheckpoint(buf, { name: 'v.pt' }), 'v.pt').message).toMatch(/tensor 'base'.*reaches element 29 of a storage with 24 elements/);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('restricted unpickler', () => {
  const marker = (): string => path.join(tmp, `pwned-${Math.random().toString(36).slice(2)}`);
  // GLOBAL 'os system' + ('touch <marker>',) + REDUCE: what a malicious checkpoint would do.
  const evilProto2 = (m: string): Buffer => Buffer.concat([
    Buffer.from('\x80\x02cos\nsystem\nq\x00X', 'latin1'), u32(Buffer.byteLength(`touch ${m}`)), Buffer.from(`touch ${m}`),
    Buffer.from('\x85R.', 'latin1'),
  ]);
  const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };

  it('refuses os.system via GLOBAL, naming it, without running it', () => {
    const m = marker();
    expect(() => unpickle(evilProto2(m))).toThrow(RefusedGlobalError);
    expect(() => unpickle(evilProto2(m))).toThrow(/refused global 'os\.system'/);
    expect(fs.existsSync(m)).toBe(false);
  });

  it('refuses a STACK_GLOBAL (protocol 4) the same way', () => {
    const p = Buffer.from('\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x041+1\x94\x85\x94R\x94.', 'latin1');
    expect(() => unpickle(p)).toThrow(/refused global 'builtins\.eval'/);
  });

  it('refuses a forbidden global inside a legacy checkpoint and inside a ZIP checkpoint', () => {
    const m = marker();
    const legacy = Buffer.concat([legacyHeader(), evilProto2(m)]);
    const e1 = checkpointError(() => readTorchCheckpoint(legacy, { name: 'evil.pt' }), 'evil.pt');
    expect(e1.message).toMatch(/refused global 'os\.system'/);
    const zip = makeZip([{ name: 'archive/data.pkl', data: evilProto2(m) }, { name: 'archive/version', data: Buffer.from('3\n') }]);
    const file = path.join(tmp, 'evil.pth');
    fs.writeFileSync(file, zip);
    const e2 = checkpointError(() => readTorchCheckpoint(file), file);
    expect(e2.message).toMatch(/refused global 'os\.system'/);
    // Opaque mode records the call instead of refusing, and still runs nothing.
    const opaque = readTorchCheckpoint(file, { unknownGlobals: 'opaque' });
    expect(opaque.root).toEqual({ $class: 'os.system', args: [`touch ${m}`] });
    expect(opaque.foreignGlobals).toEqual(['os.system']);
    expect(fs.existsSync(m)).toBe(false);
  });

  it('opaque mode lists every foreign global by name and never calls one, even when the file calls its result', () => {
    const m = marker();
    const r = unpickle(evilProto2(m), 0, { unknownGlobals: 'opaque' });
    expect(r.foreignGlobals).toEqual(['os.system']);
    expect(fs.existsSync(m)).toBe(false);
    // getattr(builtins.__import__('os'), 'system')('touch <marker>'): the placeholder of a call is not callable.
    const G = (mod: string, n: string): string => `c${mod}\n${n}\n`;
    const chained = Buffer.concat([
      Buffer.from(`\x80\x02${G('builtins', 'getattr')}${G('builtins', '__import__')}X\x02\x00\x00\x00os\x85RX\x06\x00\x00\x00system\x86RX`, 'latin1'),
      u32(Buffer.byteLength(`touch ${m}`)), Buffer.from(`touch ${m}`), Buffer.from('\x85R.', 'latin1'),
    ]);
    expect(() => unpickle(chained, 0, { unknownGlobals: 'opaque' })).toThrow(/REDUCE at offset \d+: object is not callable \(builtins\.getattr\)/);
    expect(() => unpickle(chained)).toThrow(/refused global 'builtins\.getattr'/);
    expect(fs.existsSync(m)).toBe(false);
  });

  it('a class used as a dict key (Lightning callbacks) becomes its dotted name', () => {
    const zip = makeZip([{
      name: 'archive/data.pkl',
      data: Buffer.from('\x80\x02}X\x09\x00\x00\x00callbacks}cpytorch_lightning.callbacks\nModelCheckpoint\nK\x07ss.', 'latin1'),
    }]);
    const ckpt = readTorchCheckpoint(zip, { name: 'l.ckpt', unknownGlobals: 'opaque' });
    expect(ckpt.root).toEqual({ callbacks: { 'pytorch_lightning.callbacks.ModelCheckpoint': 7 } });
    expect(ckpt.foreignGlobals).toEqual(['pytorch_lightning.callbacks.ModelCheckpoint']);
    expect(readTorchCheckpoint(fixture('storage_views_zip.pt')).foreignGlobals).toEqual([]);
  });

  it('reads a re-packed archive: other prefix, no alignment, deflated entries', () => {
    const src = fs.readFileSync(fixture('storage_views_zip.pt'));
    const entries = readZipDirectory(src);
    const files = entries.map((e, i) => ({
      name: e.name.replace(/^storage_views_zip\//, 'archive/'), data: readZipEntry(src, e), deflate: i % 2 === 0,
    }));
    const repacked = readTorchCheckpoint(makeZip(files), { name: 'repacked.pt' });
    expect(repacked.root).toEqual(readTorchCheckpoint(fixture('storage_views_zip.pt')).root);
  });

  it('reads PyTorch 0.3-style legacy files: _rebuild_tensor, torch.cuda storages, py2 strings, storage views', () => {
    const G = (m: string, n: string): string => `c${m}\n${n}\n`;
    const pid = (view: string): string => `((U\x07storage${G('torch.cuda', 'FloatStorage')}U\x0212U\x06cuda:0K\x04${view}tQ`;
    const obj = Buffer.from(
      `\x80\x02${G('collections', 'OrderedDict')})R(` +
      // 'w': the whole storage, rebuilt with the 4-argument _rebuild_tensor, transposed 2x2
      `U\x01w${G('torch._utils', '_rebuild_tensor')}${pid('N')}K\x00K\x02K\x02\x86K\x01K\x02\x86tR` +
      // 'v': a legacy sub-storage view (view_key, offset 1, 2 elements) of the same root
      `U\x01v${G('torch._utils', '_rebuild_tensor')}${pid('U\x01vK\x01K\x02\x87')}K\x00K\x02\x85K\x01\x85tR` +
      'u}(U\x01aK\x01ub.', 'latin1'); // BUILD with a _metadata-like dict on the OrderedDict: ignored
    const keys = Buffer.from('\x80\x02](U\x0212e.', 'latin1');
    const count = Buffer.alloc(8);
    count.writeBigInt64LE(4n);
    const data = Buffer.from(Float32Array.from([1, 2, 3, 4]).buffer);
    const root = readTorchCheckpoint(Buffer.concat([legacyHeader(), obj, keys, count, data]), { name: 'old.pt' }).root;
    expect(root).toEqual({
      w: { dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 3, 2, 4]) },
      v: { dtype: 'float32', shape: [2], data: Float32Array.from([2, 3]) },
    });
  });

  it('decodes the protocol 2 scalar opcodes', () => {
    // [BININT -5, LONG1 2**70, BINFLOAT 1.5, True, None, SHORT_BINSTRING 'ab', _codecs.encode('\xff', 'latin1'), {1: 'x'}]
    const p = Buffer.concat([
      Buffer.from('\x80\x02(J\xfb\xff\xff\xff\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x40G\x3f\xf8\x00\x00\x00\x00\x00\x00\x88NU\x02ab', 'latin1'),
      Buffer.from('c_codecs\nencode\nX\x02\x00\x00\x00\xc3\xbfX\x06\x00\x00\x00latin1\x86R}K\x01X\x01\x00\x00\x00xsl.', 'latin1'),
    ]);
    const { value, end } = unpickle(p);
    expect(end).toBe(p.length);
    const v = value as unknown[];
    expect(v.slice(0, 6)).toEqual([-5, 2n ** 70n, 1.5, true, null, 'ab']);
    expect(Array.from(v[6] as Uint8Array)).toEqual([0xff]);
    expect(v[7]).toEqual(new Map([[1, 'x']]));
  });
});
