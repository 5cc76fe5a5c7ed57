/**
 * Reads PyTorch checkpoints without PyTorch: torch.save's ZIP format (the default since PyTorch 1.6: data.pkl plus
 * one entry per storage) and its older legacy stream (formats as PyTorch 1.13 writes them, read with pickletools).
 * The result is a plain object tree: dicts become objects (insertion order kept, keys stringified), lists and
 * tuples arrays, and tensors `{ dtype, shape, data }` with `data` a contiguous row-major copy gathered through
 * the storage offset and strides. Nothing from the file is executed (see ./pickle).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import {
  OpaqueClass, OpaqueObject, PendingTensor, PickleError, StorageRef, StorageType, TorchDtype,
  torchStorageLoader, unpickle,
} from './pickle';
import { looksLegacy, readLegacy } from './legacy';
import { ZipError, isZip, readZipDirectory, readZipEntry } from '../zip';

export type { TorchDtype } from './pickle';

export type TensorData =
  | Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/**
 * A tensor read from a checkpoint. `data` is row-major with `shape` (length = product of shape; 1 for a 0-d
 * scalar). Element types: float32 Float32Array, float64 Float64Array, float16/bfloat16 Uint16Array of raw bits
 * (or Float32Array with dtype 'float32' under `upcastHalf`), int64 BigInt64Array, int32 Int32Array,
 * int16 Int16Array, int8 Int8Array, uint8 and bool Uint8Array.
 */
export type TorchTensor = { dtype: TorchDtype; shape: number[]; data: TensorData };

/** A non-allow-listed object, kept as a record when reading with `unknownGlobals: 'opaque'`. */
export type OpaqueValue = { $class: string; args?: TorchValue[]; state?: TorchValue };

export type TorchValue =
  | null | boolean | number | bigint | string | Uint8Array | TorchTensor | OpaqueValue | TorchValue[] | TorchDict;
export interface TorchDict { [key: string]: TorchValue }

export interface TorchCheckpoint {
  readonly format: 'zip' | 'legacy';
  /** The file path, or the `name` option (default '<buffer>') for buffers. */
  readonly source: string;
  /** The object that was passed to torch.save. */
  readonly root: TorchValue;
  /**
   * Globals outside the allow-list that the file references, kept as inert `{ $class }` records and never
   * resolved or called ("module.name", first-seen order). Always empty under the default `unknownGlobals: 'refuse'`.
   */
  readonly foreignGlobals: readonly string[];
}

export interface ReadCheckpointOptions {
  /** Convert float16/bfloat16 tensors to float32 (dtype becomes 'float32'). Default false. */
  readonly upcastHalf?: boolean;
  /** Check the CRC-32 of every ZIP entry that is read. Default true. */
  readonly verifyCrc?: boolean;
  /** 'refuse' (default): a global outside the allow-list is an error. 'opaque': keep it as `{ $class, args, state }`. */
  readonly unknownGlobals?: 'refuse' | 'opaque';
  /** Label for errors when reading a buffer. */
  readonly name?: string;
}

/** Every failure to read a checkpoint; the message starts with the file name. */
export class TorchCheckpointError extends Error {
  constructor(readonly file: string, readonly detail: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail}`, options);
    this.name = 'TorchCheckpointError';
  }
}

export function isTorchTensor(v: unknown): v is TorchTensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as TorchTensor).dtype === 'string' &&
    Array.isArray((v as TorchTensor).shape) && ArrayBuffer.isView((v as TorchTensor).data);
}

/** IEEE half-precision bits → float32. */
export function halfBitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    out[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return out;
}

/** bfloat16 bits → float32 (the high half of a float32). */
export function bfloat16BitsToFloat32(bits: Uint16Array): Float32Array {
  const u = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i] << 16;
  return new Float32Array(u.buffer);
}

type Ctor = { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TensorData; new (length: number): TensorData };

const CTORS: Record<TorchDtype, Ctor> = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, bfloat16: Uint16Array, int64: BigInt64Array,
  int32: Int32Array, int16: Int16Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
};

/** Largest tensor materialised (elements); a guard against stride-0 views that claim huge shapes. */
const MAX_ELEMENTS = 2 ** 31 - 1;

const HOST_LITTLE_ENDIAN = os.endianness() === 'LE';

/** Materialises pickle values into the plain tree; one instance per file. */
class Materialiser {
  private readonly decoded = new Map<StorageRef, TensorData>();
  private readonly done = new Map<object, TorchValue>();

  constructor(
    private readonly rawBytes: (root: StorageRef) => Uint8Array,
    private readonly fileLittleEndian: boolean,
    private readonly upcastHalf: boolean,
  ) {}

  /** All elements of a root storage as a typed array (aligned copy, host byte order). */
  private storageArray(root: StorageRef): TensorData {
    let arr = this.decoded.get(root);
    if (arr !== undefined) return arr;
    const size = root.type.itemSize;
    const need = root.numel * size;
    const raw = this.rawBytes(root);
    if (raw.length < need) {
      throw new PickleError(`storage '${root.key}' (${root.type.className}, ${root.numel} elements) needs ${need} bytes but its record has ${raw.length}`);
    }
    const copy = new Uint8Array(need);
    copy.set(raw.subarray(0, need));
    if (this.fileLittleEndian !== HOST_LITTLE_ENDIAN && size > 1) {
      for (let i = 0; i < need; i += size) copy.subarray(i, i + size).reverse();
    }
    arr = new CTORS[root.type.dtype](copy.buffer, 0, root.numel);
    this.decoded.set(root, arr);
    return arr;
  }

  private tensor(t: PendingTensor, path: string): TorchTensor {
    const root = t.storage.root ?? t.storage;
    const src = this.storageArray(root);
    const shape = t.size.slice();
    const numel = shape.reduce((a, b) => a * b, 1);
    const dtype = root.type.dtype;
    let out: TensorData;
    if (numel > MAX_ELEMENTS) {
      throw new PickleError(`tensor '${path}' has ${numel} elements (shape [${shape}]), more than this reader supports (${MAX_ELEMENTS})`);
    }
    if (numel === 0) {
      out = new CTORS[dtype](0);
    } else {
      let last = t.offset;
      for (let k = 0; k < shape.length; k++) last += (shape[k] - 1) * t.stride[k];
      if (last >= t.storage.numel) {
        throw new PickleError(`tensor '${path}' (shape [${shape}], offset ${t.offset}, stride [${t.stride}]) reaches element ${last} of a storage with ${t.storage.numel} elements`);
      }
      const base = t.storage.offset + t.offset;
      let contiguous = true;
      for (let k = shape.length - 1, s = 1; k >= 0; k--) {
        if (shape[k] !== 1 && t.stride[k] !== s) contiguous = false;
        s *= shape[k];
      }
      if (contiguous) {
        out = src.slice(base, base + numel);
      } else {
        out = new CTORS[dtype](numel);
        gather(src, out, base, shape, t.stride);
      }
    }
    if (this.upcastHalf && (dtype === 'float16' || dtype === 'bfloat16')) {
      const bits = out as Uint16Array;
      return { dtype: 'float32', shape, data: dtype === 'float16' ? halfBitsToFloat32(bits) : bfloat16BitsToFloat32(bits) };
    }
    return { dtype, shape, data: out };
  }

  value(v: unknown, path: string): TorchValue {
    if (v === null || v === undefined) return null;
    const ty = typeof v;
    if (ty === 'boolean' || ty === 'number' || ty === 'bigint' || ty === 'string') return v as TorchValue;
    if (v instanceof Uint8Array) return v;
    const obj = v as object;
    const seen = this.done.get(obj);
    if (seen !== undefined) return seen;
    if (v instanceof PendingTensor) {
      const t = this.tensor(v, path);
      this.done.set(obj, t);
      return t;
    }
    if (v instanceof StorageRef) {
      // A bare storage in the tree: expose it as a 1-D tensor over its elements.
      const t = this.tensor(new PendingTensor(v, 0, [v.numel], [1], false), path);
      this.done.set(obj, t);
      return t;
    }
    if (Array.isArray(v) || v instanceof Set) {
      const out: TorchValue[] = [];
      this.done.set(obj, out);
      let i = 0;
      for (const x of v) out.push(this.value(x, `${path}[${i++}]`));
      return out;
    }
    if (v instanceof Map) {
      const out: TorchDict = {};
      this.done.set(obj, out);
      for (const [k, x] of v) {
        const key = keyString(k);
        // defineProperty: a key named "__proto__" stays an ordinary own property.
        Object.defineProperty(out, key, {
          value: this.value(x, path ? `${path}.${key}` : key), enumerable: true, writable: true, configurable: true,
        });
      }
      return out;
    }
    if (v instanceof OpaqueObject) {
      const out: OpaqueValue = { $class: v.className };
      this.done.set(obj, out);
      out.args = v.args.map((x, i) => this.value(x, `${path}(${i})`));
      if (v.state !== undefined) out.state = this.value(v.state, `${path}.__state__`);
      return out;
    }
    if (v instanceof OpaqueClass) return { $class: v.className };
    if (v instanceof StorageType) return { $class: `torch.${v.className}` };
    if (typeof (v as { name?: unknown }).name === 'string') return { $class: (v as { name: string }).name };
    throw new PickleError(`unexpected value at '${path}'`);
  }
}

function keyString(k: unknown): string {
  if (typeof k === 'string') return k;
  // A class used as a dict key (Lightning's `callbacks` dict is keyed by the callback class): its dotted name.
  if (k instanceof OpaqueClass) return k.className;
  if (k instanceof OpaqueObject) return `${k.className}(...)`;
  if (Array.isArray(k)) return `(${k.map(keyString).join(', ')})`;
  if (k === null) return 'None';
  if (k === true) return 'True';
  if (k === false) return 'False';
  return String(k);
}

/** Copies the strided view (base, shape, stride) of src into out in row-major order. */
function gather(src: TensorData, out: TensorData, base: number, shape: readonly number[], stride: readonly number[]): void {
  const d = shape.length;
  const s = src as unknown as Float64Array; // any typed array: elements are only copied, never converted
  const o = out as unknown as Float64Array;
  const numel = out.length;
  const inner = shape[d - 1];
  const innerStride = stride[d - 1];
  const idx = new Array<number>(Math.max(d - 1, 0)).fill(0);
  let off = base;
  for (let i = 0; i < numel; i += inner) {
    // Innermost axis as a tight loop, outer axes through a multi-index (last outer axis fastest).
    for (let j = 0, p = off; j < inner; j++, p += innerStride) o[i + j] = s[p];
    for (let k = d - 2; k >= 0; k--) {
      idx[k]++;
      off += stride[k];
      if (idx[k] < shape[k]) break;
      off -= stride[k] * shape[k];
      idx[k] = 0;
    }
  }
}

function readZipCheckpoint(buf: Uint8Array, opts: ReadCheckpointOptions): { root: TorchValue; foreignGlobals: readonly string[] } {
  const entries = readZipDirectory(buf);
  const pkl = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (pkl === undefined) {
    throw new ZipError(`no data.pkl entry in the archive (entries: ${entries.slice(0, 5).map((e) => e.name).join(', ')}${entries.length > 5 ? ', ...' : ''})`);
  }
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const verifyCrc = opts.verifyCrc ?? true;
  const order = byName.get(`${prefix}byteorder`);
  let littleEndian = true;
  if (order !== undefined) {
    const s = Buffer.from(readZipEntry(buf, order, { verifyCrc })).toString('latin1').trim();
    if (s !== 'little' && s !== 'big') throw new ZipError(`unknown byteorder '${s}'`);
    littleEndian = s === 'little';
  }
  const loader = torchStorageLoader();
  const pickled = readZipEntry(buf, pkl, { verifyCrc });
  const { value, end, foreignGlobals } = unpickle(pickled, 0, { persistentLoad: loader.load, unknownGlobals: opts.unknownGlobals });
  if (end !== pickled.length) throw new PickleError(`data.pkl has ${pickled.length - end} bytes after STOP`);
  const raw = (root: StorageRef): Uint8Array => {
    const name = `${prefix}data/${root.key}`;
    const e = byName.get(name);
    if (e === undefined) throw new ZipError(`storage '${root.key}' is referenced by data.pkl but the archive has no entry '${name}'`);
    return readZipEntry(buf, e, { verifyCrc });
  };
  return { root: new Materialiser(raw, littleEndian, opts.upcastHalf ?? false).value(value, ''), foreignGlobals };
}

function readLegacyCheckpoint(buf: Uint8Array, opts: ReadCheckpointOptions): { root: TorchValue; foreignGlobals: readonly string[] } {
  const c = readLegacy(buf, { unknownGlobals: opts.unknownGlobals });
  const raw = (root: StorageRef): Uint8Array => {
    const d = c.data.get(root.key);
    if (d === undefined) throw new PickleError(`storage '${root.key}' has no data`);
    return d;
  };
  return { root: new Materialiser(raw, c.littleEndian, opts.upcastHalf ?? false).value(c.root, ''), foreignGlobals: c.foreignGlobals };
}

function hexHead(buf: Uint8Array): string {
  return Array.from(buf.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Reads a torch.save file (path or bytes). Throws TorchCheckpointError naming the file and the problem:
 * truncation, corruption (CRC, bad opcodes, out-of-range views), unsupported content, or a refused global.
 */
export function readTorchCheckpoint(src: string | Uint8Array, opts: ReadCheckpointOptions = {}): TorchCheckpoint {
  const source = typeof src === 'string' ? src : opts.name ?? '<buffer>';
  let buf: Uint8Array;
  if (typeof src === 'string') {
    try {
      buf = fs.readFileSync(src);
    } catch (err) {
      throw new TorchCheckpointError(source, `cannot read file (${(err as Error).message})`, { cause: err });
    }
  } else {
    buf = src;
  }
  if (buf.length === 0) throw new TorchCheckpointError(source, 'empty file');
  try {
    if (isZip(buf)) return { format: 'zip', source, ...readZipCheckpoint(buf, opts) };
    if (looksLegacy(buf)) return { format: 'legacy', source, ...readLegacyCheckpoint(buf, opts) };
  } catch (err) {
    if (err instanceof ZipError) throw new TorchCheckpointError(source, `ZIP checkpoint: ${err.message}`, { cause: err });
    if (err instanceof PickleError) throw new TorchCheckpointError(source, err.message, { cause: err });
    const msg = err instanceof Error ? err.message : String(err);
    throw new TorchCheckpointError(source, `corrupt checkpoint (${msg})`, { cause: err });
  }
  if (buf[0] === 0x80) throw new TorchCheckpointError(source, 'a plain pickle without the torch legacy magic number, not a torch.save file');
  if (buf.length > 262 && Buffer.from(buf.subarray(257, 262)).toString('latin1') === 'ustar') {
    throw new TorchCheckpointError(source, 'tar-based torch checkpoint (PyTorch < 0.4) is not supported');
  }
  throw new TorchCheckpointError(source, `not a PyTorch checkpoint (unrecognised first bytes ${hexHead(buf)})`);
}

// ---------------------------------------------------------------------------------------------------------
// State dicts inside wrappers

export type StateDict = Record<string, TorchTensor>;

export interface StateDictOptions {
  /** Wrapper keys to try, in order. Default ['params_ema', 'params', 'state_dict', 'model'] (BasicSR falls back from params_ema to params). */
  readonly prefer?: readonly string[];
  /** Prefix stripped from every key that has it (DataParallel). Default 'module.'; null keeps keys as they are. */
  readonly stripPrefix?: string | null;
}

export const DEFAULT_STATE_DICT_KEYS: readonly string[] = ['params_ema', 'params', 'state_dict', 'model'];

function isDict(v: unknown): v is TorchDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !isTorchTensor(v) &&
    typeof (v as OpaqueValue).$class !== 'string';
}

function isStateDictLike(v: unknown): v is StateDict {
  if (!isDict(v)) return false;
  const vals = Object.values(v);
  return vals.length > 0 && vals.every(isTorchTensor);
}

function isCheckpoint(v: unknown): v is TorchCheckpoint {
  return typeof v === 'object' && v !== null && 'root' in v && 'source' in v &&
    ((v as TorchCheckpoint).format === 'zip' || (v as TorchCheckpoint).format === 'legacy');
}

/**
 * Finds the state dict inside a checkpoint: the root itself when it is a dict of tensors (EDSR-PyTorch, RCAN),
 * else the first `prefer` key holding one (SwinIR/BasicSR `params_ema`/`params`, `state_dict`, `model`),
 * looking one level further into a preferred key that holds a wrapper dict; else the only dict of tensors
 * among the root's values. `path` lists the keys followed.
 */
export function findStateDict(ckpt: TorchCheckpoint | TorchValue, opts: StateDictOptions = {}): { path: string[]; dict: StateDict } {
  const root = isCheckpoint(ckpt) ? ckpt.root : ckpt;
  const prefer = opts.prefer ?? DEFAULT_STATE_DICT_KEYS;
  const search = (v: TorchValue, path: string[], depth: number): { path: string[]; dict: StateDict } | null => {
    if (isStateDictLike(v)) return { path, dict: v };
    if (!isDict(v)) return null;
    for (const key of prefer) {
      if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
      const child = (v as TorchDict)[key];
      if (isStateDictLike(child)) return { path: [...path, key], dict: child };
      if (depth > 0) {
        const deeper = search(child, [...path, key], depth - 1);
        if (deeper) return deeper;
      }
    }
    return null;
  };
  const found = search(root, [], 1);
  if (found) return found;
  if (isDict(root)) {
    const d = root as TorchDict;
    const candidates = Object.keys(d).filter((k) => isStateDictLike(d[k]));
    if (candidates.length === 1) return { path: candidates, dict: d[candidates[0]] as StateDict };
  }
  const file = isCheckpoint(ckpt) ? ckpt.source : '<checkpoint>';
  const keys = isDict(root) ? Object.keys(root).slice(0, 20).map((k) => `'${k}'`).join(', ') : describeValue(root);
  throw new TorchCheckpointError(file,
    `no state dict found (tried ${prefer.map((k) => `'${k}'`).join(', ')}; top level: ${keys || 'empty'})`);
}

function describeValue(v: TorchValue): string {
  if (isTorchTensor(v)) return `a tensor [${v.shape}]`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return v === null ? 'None' : typeof v;
}

/** The state dict of a checkpoint as a fresh name → tensor record (tensors shared, not copied). */
export function stateDict(ckpt: TorchCheckpoint | TorchValue, opts: StateDictOptions = {}): StateDict {
  const { dict } = findStateDict(ckpt, opts);
  const strip = opts.stripPrefix === undefined ? 'module.' : opts.stripPrefix;
  const out: StateDict = {};
  for (const [k, t] of Object.entries(dict)) {
    const key = strip && k.startsWith(strip) ? k.slice(strip.length) : k;
    Object.defineProperty(out, key, { value: t, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Tensor elements as plain numbers (bigint int64 values converted; float16 bits decoded). For tests and logs. */
export function tensorToNumbers(t: TorchTensor): number[] {
  if (t.dtype === 'float16') return Array.from(halfBitsToFloat32(t.data as Uint16Array));
  if (t.dtype === 'bfloat16') return Array.from(bfloat16BitsToFloat32(t.data as Uint16Array));
  return Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
}
