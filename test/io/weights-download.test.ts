// Teacher checkpoint downloads against a local HTTP server: verified download, checksum mismatch refused,
// unknown names listing the valid ones, and the `srkd weights` command.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../cli-run';
import { DownloadIntegrityError } from '../../lib/io/download';
import {
  TEACHER_WEIGHTS, TEACHER_WEIGHT_NAMES, WEIGHT_NAMES, downloadWeights, downloadWeightsEntry, teacherWeights, weightsEntry, weightsUrl,
} from '../../lib/io/weights-download';
import { auxFixture } from '../aux-fixtures';
import { loadVgg19, loadVqgan } from '../../lib/io/frozen-nets';
import { loadCsdEdsr } from '../../lib/io/csd-checkpoint';
import { weightsCommand } from '../../lib/cli/commands/weights';

const FILES = new Map<string, Buffer>();
let server: http.Server;
let base = '';
let tmp = '';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-weights-'));
  server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '').replace(/^\/mirror\//, ''));
    const body = FILES.get(name);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the registry', () => {
  it('has EDSR baseline/full, RCAN and SwinIR at x2, x3, x4 with the spec digests', () => {
    for (const s of [2, 3, 4]) {
      for (const n of [`edsr-baseline-x${s}`, `edsr-x${s}`, `rcan-bix${s}`, `swinir-m-x${s}`]) expect(TEACHER_WEIGHT_NAMES).toContain(n);
    }
    const b4 = teacherWeights('edsr-baseline-x4');
    expect(b4.url).toBe('https://cv.snu.ac.kr/research/EDSR/models/edsr_baseline_x4-6b446fab.pt');
    expect(b4.size).toBe(6081831);
    expect(b4.sha256).toBe('6b446fab734f4de74448d2fd1f3f990f5bae726e49dc7eff2ae9cefe444a1723');
    for (const e of TEACHER_WEIGHTS) {
      if (e.sha256) expect(e.sha256.startsWith(e.sha256Prefix ?? '')).toBe(true);
      expect(e.arch.arch).toBe(e.layout === 'swinir' ? 'swinir' : e.layout === 'rcan-official' ? 'rcan' : 'edsr');
    }
    expect(teacherWeights('rcan-bix3').url).toBeNull();
  });

  it('unknown names list the valid ones', () => {
    expect(() => teacherWeights('edsr-x5')).toThrow(/unknown weights 'edsr-x5'; known: edsr-baseline-x2, .*rcan-bix4.*swinir-m-x4/);
  });

  it('a mirror replaces the host, option before env', () => {
    const e = teacherWeights('swinir-m-x2');
    const prev = process.env.SRKD_WEIGHTS_MIRROR;
    try {
      delete process.env.SRKD_WEIGHTS_MIRROR;
      expect(weightsUrl(e)).toBe('https://github.com/JingyunLiang/SwinIR/releases/download/v0.0/001_classicalSR_DIV2K_s48w8_SwinIR-M_x2.pth');
      process.env.SRKD_WEIGHTS_MIRROR = 'http://env.example/w/';
      expect(weightsUrl(e)).toBe('http://env.example/w/001_classicalSR_DIV2K_s48w8_SwinIR-M_x2.pth');
      expect(weightsUrl(e, 'http://opt.example')).toBe('http://opt.example/001_classicalSR_DIV2K_s48w8_SwinIR-M_x2.pth');
    } finally {
      if (prev === undefined) delete process.env.SRKD_WEIGHTS_MIRROR;
      else process.env.SRKD_WEIGHTS_MIRROR = prev;
    }
  });
});

describe('downloads from a local server', () => {
  it('no published checksum: downloads and reports the computed SHA-256', async () => {
    const entry = teacherWeights('swinir-m-x3');
    const body = Buffer.from('fake swinir weights '.repeat(100));
    FILES.set(entry.file, body);
    const dir = path.join(tmp, 'a');
    const r = await downloadWeights('swinir-m-x3', { dir, baseUrl: base });
    expect(r.verified).toBe('unverified');
    expect(r.sha256).toBe(sha(body));
    expect(r.bytes).toBe(body.length);
    expect(fs.readFileSync(path.join(dir, entry.file))).toEqual(body);
    const again = await downloadWeights('swinir-m-x3', { dir, baseUrl: base });
    expect(again.skipped).toBe(true);
  });

  it('a known SHA-256 is checked: match accepted, mismatch refused and removed', async () => {
    const good = Buffer.from('the right bytes');
    const entry = { ...teacherWeights('edsr-baseline-x2'), file: 'custom.pt', size: good.length, sha256: sha(good), sha256Prefix: null };
    FILES.set('custom.pt', good);
    const dir = path.join(tmp, 'b');
    const ok = await downloadWeightsEntry(entry, { dir, baseUrl: base });
    expect(ok.verified).toBe('sha256');
    FILES.set('custom.pt', Buffer.from('the WRONG bytes'));
    const dir2 = path.join(tmp, 'c');
    await expect(downloadWeightsEntry(entry, { dir: dir2, baseUrl: base })).rejects.toThrow(/SHA-256 mismatch/);
    expect(fs.existsSync(path.join(dir2, 'custom.pt'))).toBe(false);
    expect(fs.existsSync(path.join(dir2, 'custom.pt.part'))).toBe(false);
  });

  it('a registry entry whose size does not match is refused (EDSR baseline from a bad mirror)', async () => {
    const entry = teacherWeights('edsr-baseline-x2');
    FILES.set(entry.file, Buffer.from('not five megabytes'));
    const dir = path.join(tmp, 'd');
    await expect(downloadWeights('edsr-baseline-x2', { dir, baseUrl: base, retries: 0 })).rejects.toBeInstanceOf(DownloadIntegrityError);
    expect(fs.existsSync(path.join(dir, entry.file))).toBe(false);
  });

  it('the SHA-256 prefix in an EDSR file name is checked', async () => {
    const entry = teacherWeights('edsr-x4');
    FILES.set(entry.file, Buffer.from('not the EDSR x4 weights'));
    const dir = path.join(tmp, 'e');
    await expect(downloadWeights('edsr-x4', { dir, baseUrl: base })).rejects.toThrow(/file name says it starts with 4f62e9ef/);
    expect(fs.existsSync(path.join(dir, entry.file))).toBe(false);
  });

  it('RCAN without a mirror: explains there is no direct URL', async () => {
    const prev = process.env.SRKD_WEIGHTS_MIRROR;
    delete process.env.SRKD_WEIGHTS_MIRROR;
    try {
      await expect(downloadWeights('rcan-bix4', { dir: path.join(tmp, 'f') })).rejects.toThrow(/rcan-bix4: no direct download URL.*mirror/);
    } finally {
      if (prev !== undefined) process.env.SRKD_WEIGHTS_MIRROR = prev;
    }
    FILES.set('RCAN_BIX4.pt', Buffer.from('rcan'));
    const r = await downloadWeights('rcan-bix4', { dir: path.join(tmp, 'f'), baseUrl: base });
    expect(r.bytes).toBe(4);
  });
});

describe('srkd weights', () => {
  const run = (argv: string[]): Promise<{ code: number; out: string }> => runCommand(weightsCommand, argv);

  it('list prints every name (table and JSON)', async () => {
    const t = await run(['list']);
    for (const n of WEIGHT_NAMES) expect(t.out).toContain(n);
    expect(t.out).toMatch(/vgg19 +-- +\? +sha256 dcbb9e9d\.\.\./);
    const j = await run(['list', '--json']);
    expect(JSON.parse(j.out).map((e: { name: string }) => e.name)).toEqual(WEIGHT_NAMES);
  });

  it('download via SRKD_WEIGHTS_MIRROR with --json events', async () => {
    const entry = teacherWeights('swinir-m-df2k-x2');
    const body = Buffer.from('df2k');
    FILES.set(entry.file, body);
    const prev = process.env.SRKD_WEIGHTS_MIRROR;
    process.env.SRKD_WEIGHTS_MIRROR = base;
    try {
      const r = await run(['download', 'swinir-m-df2k-x2', '--dir', path.join(tmp, 'cli'), '--json']);
      expect(r.code).toBe(0);
      const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
      expect(events[0]).toMatchObject({ event: 'start', url: `${base}/${entry.file}` });
      expect(events.at(-1)).toMatchObject({ event: 'done', sha256: sha(body), verified: 'unverified' });
    } finally {
      if (prev === undefined) delete process.env.SRKD_WEIGHTS_MIRROR;
      else process.env.SRKD_WEIGHTS_MIRROR = prev;
    }
  });

  it('an unknown name is a usage error listing the valid names', async () => {
    await expect(run(['download', 'nope'])).rejects.toThrow(/unknown weights 'nope'; known: edsr-baseline-x2/);
  });
});

describe('CSD and DCKD files', () => {
  it('are in the registry: torchvision VGG-19, the taming-transformers VQGAN DCKD points to, CSD models without a direct URL', () => {
    expect(WEIGHT_NAMES).toEqual([...TEACHER_WEIGHT_NAMES, 'vgg19', 'vqgan-f16-1024', 'csd-edsr-x2', 'csd-edsr-x3', 'csd-edsr-x4']);
    expect(weightsEntry('vgg19')).toMatchObject({
      url: 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth', sha256Prefix: 'dcbb9e9d', loader: 'loadVgg19', scale: null,
    });
    expect(weightsEntry('vqgan-f16-1024').url).toBe('https://heibox.uni-heidelberg.de/d/8088892a516d4e3baf92/files/?p=%2Fckpts%2Flast.ckpt&dl=1');
    expect(weightsEntry('csd-edsr-x3')).toMatchObject({ url: null, file: 'edsr_x3_0.25student.pth', scale: 3, loader: 'loadCsdEdsr' });
    expect(() => teacherWeights('vgg19')).toThrow(/unknown weights 'vgg19'/);
    expect(() => weightsEntry('vgg16')).toThrow(/unknown weights 'vgg16'; known: .*vgg19, vqgan-f16-1024, csd-edsr-x2/);
  });

  it('the VQGAN Lightning checkpoint downloads (size and SHA-256 reported) and loads', async () => {
    const body = fs.readFileSync(auxFixture('tiny_vqgan_f16_lightning.ckpt'));
    FILES.set('vqgan_imagenet_f16_1024.ckpt', body);
    const r = await runCommand(weightsCommand, ['download', 'vqgan-f16-1024', '--dir', path.join(tmp, 'vq'), '--base-url', base]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`(${body.length} bytes)`);
    expect(r.out).toContain(`sha256 ${sha(body)} (no published checksum)`);
    const { net, report } = loadVqgan(path.join(tmp, 'vq', 'vqgan_imagenet_f16_1024.ckpt'));
    expect(report.foreignGlobals).toEqual(['pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint']);
    net.dispose();
  });

  it('VGG-19: the SHA-256 prefix of torchvision\'s file name is checked', async () => {
    const body = fs.readFileSync(auxFixture('tiny_vgg19_torchvision.pth'));
    FILES.set('vgg19-dcbb9e9d.pth', body);
    await expect(downloadWeights('vgg19', { dir: path.join(tmp, 'vgg'), baseUrl: base })).rejects.toThrow(/file name says it starts with dcbb9e9d/);
    expect(fs.existsSync(path.join(tmp, 'vgg', 'vgg19-dcbb9e9d.pth'))).toBe(false);
    // The same entry with the fixture's own prefix: verified and loadable.
    const r = await downloadWeightsEntry({ ...weightsEntry('vgg19'), sha256Prefix: sha(body).slice(0, 8) }, { dir: path.join(tmp, 'vgg'), baseUrl: base });
    expect(r.verified).toBe('sha256-prefix');
    const { net } = loadVgg19(r.path);
    expect(net.convWidths).toHaveLength(16);
    net.dispose();
  });

  it('CSD models: no direct URL (BaiduYun only), from a mirror they download and load', async () => {
    const prev = process.env.SRKD_WEIGHTS_MIRROR;
    delete process.env.SRKD_WEIGHTS_MIRROR;
    try {
      await expect(downloadWeights('csd-edsr-x4', { dir: path.join(tmp, 'csd') })).rejects.toThrow(/csd-edsr-x4: no direct download URL .*BaiduYun.*zser/);
    } finally {
      if (prev !== undefined) process.env.SRKD_WEIGHTS_MIRROR = prev;
    }
    FILES.set('edsr_x4_0.25student.pth', fs.readFileSync(auxFixture('tiny_csd_edsr_x4.pt')));
    const r = await downloadWeights('csd-edsr-x4', { dir: path.join(tmp, 'csd'), baseUrl: base });
    const { net, report } = loadCsdEdsr(r.path);
    expect(report.scale).toBe(4);
    net.dispose();
  });
});
