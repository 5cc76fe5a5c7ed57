/**
 * The kit's own model format: a directory with `model.json` (format id and version, arch config, scale, the
 * tensor table: name, shape, dtype, byte offset, plus the byte length and SHA-256 of the weights) and
 * `weights.bin` (the float32 values of every parameter, little-endian, in `net.params` order).
 *
 * Round trips are bit-exact (raw float32 bytes). Saving is atomic: both files are written into a temporary
 * sibling directory which is renamed into place (an existing model directory is moved aside first and removed
 * afterwards), so a crash never leaves a half-written model under the target name. Errors name the file and
 * the offending key.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { assertArchConfig, assertScale, buildModel } from '../models/build';
import type { ArchConfig, SRNet } from '../models/types';
import type { Scale } from '../types';

export const MODEL_FORMAT = 'srkd-model';
export const MODEL_FORMAT_VERSION = 1;
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ModelTensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32';
  /** Byte offset into weights.bin. */
  readonly offset: number;
}

export interface ModelFileMeta {
  readonly format: typeof MODEL_FORMAT;
  readonly version: number;
  readonly arch: ArchConfig;
  readonly scale: Scale;
  readonly byteOrder: 'little';
  readonly weights: readonly ModelTensorEntry[];
  readonly weightsBytes: number;
  readonly weightsSha256: string;
  /** Free-form JSON the caller attached (e.g. run id, step, source checkpoint). */
  readonly extra?: { readonly [key: string]: JsonValue };
}

/** Every failure to read a model directory; the message starts with the file it concerns. */
export class ModelFileError extends Error {
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ModelFileError';
  }
}

const HOST_LE = os.endianness() === 'LE';

function toLittleEndianBytes(a: Float32Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  if (!HOST_LE) for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  return bytes;
}

function fromLittleEndianBytes(b: Uint8Array): Float32Array {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  if (!HOST_LE) for (let i = 0; i < copy.length; i += 4) copy.subarray(i, i + 4).reverse();
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}

/** Writes `net` to the directory `dir` (created, or replaced atomically). Returns the metadata written. */
export async function saveModel(net: SRNet, dir: string, opts: { readonly extra?: { readonly [key: string]: JsonValue } } = {}): Promise<ModelFileMeta> {
  const entries: ModelTensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, v] of net.params) {
    if (v.dtype !== 'float32') throw new Error(`saveModel: parameter '${name}' has dtype ${v.dtype}; only float32 is supported`);
    const bytes = toLittleEndianBytes((await v.data()) as Float32Array);
    entries.push({ name, shape: v.shape.slice(), dtype: 'float32', offset });
    chunks.push(bytes);
    offset += bytes.length;
  }
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  const meta: ModelFileMeta = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    arch: JSON.parse(JSON.stringify(net.arch)) as ArchConfig,
    scale: net.scale,
    byteOrder: 'little',
    weights: entries,
    weightsBytes: offset,
    weightsSha256: hash.digest('hex'),
    ...(opts.extra !== undefined ? { extra: JSON.parse(JSON.stringify(opts.extra)) as { [key: string]: JsonValue } } : {}),
  };

  const target = path.resolve(dir);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.tmp-`));
  try {
    const fd = fs.openSync(path.join(tmp, WEIGHTS_BIN), 'w');
    try {
      for (const c of chunks) fs.writeSync(fd, c);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.writeFileSync(path.join(tmp, MODEL_JSON), JSON.stringify(meta, null, 1) + '\n');
    let backup: string | null = null;
    if (fs.existsSync(target)) {
      const st = fs.statSync(target);
      if (!st.isDirectory()) throw new Error(`saveModel: ${target} exists and is not a directory`);
      backup = `${tmp}.old`;
      fs.renameSync(target, backup);
    }
    try {
      fs.renameSync(tmp, target);
    } catch (err) {
      if (backup !== null) fs.renameSync(backup, target); // put the previous model back
      throw err;
    }
    if (backup !== null) fs.rmSync(backup, { recursive: true, force: true });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return meta;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with object keys sorted, for comparing configs whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    isPlainObject(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x);
}

/** Reads and validates `model.json` (no weights). */
export function readModelMeta(dir: string): ModelFileMeta {
  const file = path.join(dir, MODEL_JSON);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ModelFileError(file, `cannot read (${(err as Error).message})`);
  }
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(file, `invalid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(m)) throw new ModelFileError(file, 'top level must be an object');
  if (m.format !== MODEL_FORMAT) throw new ModelFileError(file, `key 'format' must be '${MODEL_FORMAT}' (got ${JSON.stringify(m.format)})`);
  if (m.version !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError(file, `key 'version' ${JSON.stringify(m.version)} is not supported (this kit reads version ${MODEL_FORMAT_VERSION})`);
  }
  if (m.byteOrder !== 'little') throw new ModelFileError(file, `key 'byteOrder' must be 'little' (got ${JSON.stringify(m.byteOrder)})`);
  try {
    assertArchConfig(m.arch);
  } catch (err) {
    throw new ModelFileError(file, `key 'arch': ${(err as Error).message}`);
  }
  try {
    assertScale(m.scale);
  } catch (err) {
    throw new ModelFileError(file, `key 'scale': ${(err as Error).message}`);
  }
  if (!Number.isInteger(m.weightsBytes) || (m.weightsBytes as number) < 0) {
    throw new ModelFileError(file, `key 'weightsBytes' must be a non-negative integer (got ${JSON.stringify(m.weightsBytes)})`);
  }
  if (typeof m.weightsSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.weightsSha256)) {
    throw new ModelFileError(file, `key 'weightsSha256' must be 64 hex digits (got ${JSON.stringify(m.weightsSha256)})`);
  }
  if (!Array.isArray(m.weights)) throw new ModelFileError(file, `key 'weights' must be an array`);
  const seen = new Set<string>();
  let expectOffset = 0;
  m.weights.forEach((e: unknown, i: number) => {
    const where = `weights[${i}]`;
    if (!isPlainObject(e) || typeof e.name !== 'string') throw new ModelFileError(file, `${where} must be an object with a string 'name'`);
    const at = `${where} '${e.name}'`;
    if (seen.has(e.name)) throw new ModelFileError(file, `${at}: duplicate name`);
    seen.add(e.name);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ModelFileError(file, `${at}: 'shape' must be an array of non-negative integers (got ${JSON.stringify(e.shape)})`);
    }
    if (e.dtype !== 'float32') throw new ModelFileError(file, `${at}: dtype must be 'float32' (got ${JSON.stringify(e.dtype)})`);
    if (e.offset !== expectOffset) throw new ModelFileError(file, `${at}: offset ${JSON.stringify(e.offset)}, expected ${expectOffset}`);
    expectOffset += 4 * (e.shape as number[]).reduce((a, b) => a * b, 1);
  });
  if (expectOffset !== m.weightsBytes) {
    throw new ModelFileError(file, `key 'weightsBytes' is ${m.weightsBytes as number} but the tensor table covers ${expectOffset} bytes`);
  }
  return m as unknown as ModelFileMeta;
}

/** The metadata and every tensor's values (checked against size and SHA-256). */
export function readModelFile(dir: string): { meta: ModelFileMeta; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
  const meta = readModelMeta(dir);
  const file = path.join(dir, WEIGHTS_BIN);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new ModelFileError(file, `cannot read (${(err as Error).message})`);
  }
  if (buf.length !== meta.weightsBytes) {
    throw new ModelFileError(file, `${buf.length} bytes, but ${MODEL_JSON} says ${meta.weightsBytes} (truncated or from another save)`);
  }
  const digest = createHash('sha256').update(buf).digest('hex');
  if (digest !== meta.weightsSha256) {
    throw new ModelFileError(file, `SHA-256 ${digest} does not match ${MODEL_JSON} (${meta.weightsSha256}); the file is corrupt or from another save`);
  }
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const e of meta.weights) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    tensors.set(e.name, { shape: e.shape.slice(), data: fromLittleEndianBytes(buf.subarray(e.offset, e.offset + 4 * n)) });
  }
  return { meta, tensors };
}

/**
 * Assigns a saved model's weights into an existing net of the same arch and scale. Every key must match
 * (names and shapes); errors name the file and the key. Nothing is assigned if any check fails.
 */
export function loadModelWeights(net: SRNet, dir: string): ModelFileMeta {
  const { meta, tensors } = readModelFile(dir);
  const file = path.join(dir, MODEL_JSON);
  if (canonical(meta.arch) !== canonical(net.arch) || meta.scale !== net.scale) {
    throw new ModelFileError(file, `holds ${JSON.stringify(meta.arch)} x${meta.scale}; the model is ${JSON.stringify(net.arch)} x${net.scale}`);
  }
  for (const [name, v] of net.params) {
    const t = tensors.get(name);
    if (t === undefined) throw new ModelFileError(file, `missing weight '${name}'`);
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new ModelFileError(file, `weight '${name}' has shape [${t.shape.join(',')}]; the model expects [${v.shape.join(',')}]`);
    }
  }
  for (const name of tensors.keys()) if (!net.params.has(name)) throw new ModelFileError(file, `unexpected weight '${name}'`);
  for (const [name, v] of net.params) {
    const t = tensors.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
  }
  return meta;
}

/** Builds the saved network and loads its weights. The caller owns (and disposes) the net. */
export function loadModel(dir: string): { net: SRNet; meta: ModelFileMeta } {
  const meta = readModelMeta(dir);
  const net = buildModel(meta.arch, meta.scale);
  try {
    loadModelWeights(net, dir);
  } catch (err) {
    net.dispose();
    throw err;
  }
  return { net, meta };
}
