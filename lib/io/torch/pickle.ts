/**
 * A restricted unpickler for PyTorch checkpoints (a ZIP checkpoint's data.pkl, or the object graph of a legacy
 * one). It is a stack machine over the
 * pickle opcodes of protocols 0..5 that builds inert JavaScript values; it never runs code from the file.
 * GLOBAL / STACK_GLOBAL resolve only names on an allow-list (OrderedDict, the torch tensor rebuilders and
 * storage types, set/frozenset, _codecs.encode); any other name is refused with an error naming it, unless
 * the caller asks for opaque placeholders (`unknownGlobals: 'opaque'`), which record class name and
 * arguments and still run nothing. Such foreign globals are listed by name in the result (`foreignGlobals`), so
 * a caller can report what a file referenced (e.g. the `pytorch_lightning` callback class that keys a Lightning
 * checkpoint's `callbacks` dict) without ever resolving it.
 *
 * Value mapping: None → null, bool → boolean, int → number (bigint outside the safe range), float → number,
 * str → string, bytes → Uint8Array, list/tuple → array, dict/OrderedDict → Map, set → Set,
 * torch storages → StorageRef, tensors → PendingTensor (materialised later, once storage bytes are known).
 */

export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}

/** A GLOBAL that is not on the allow-list. `global` is "module.name". */
export class RefusedGlobalError extends PickleError {
  constructor(readonly global: string) {
    super(`refused global '${global}': only tensor and state-dict globals are allowed (${ALLOWED_SUMMARY}); nothing from the file was executed`);
    this.name = 'RefusedGlobalError';
  }
}

export type TorchDtype =
  | 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** A storage class such as torch.FloatStorage (the type tag inside persistent IDs). */
export class StorageType {
  constructor(readonly className: string, readonly dtype: TorchDtype, readonly itemSize: number) {}
}

const STORAGE_TYPES: Readonly<Record<string, readonly [TorchDtype, number]>> = {
  FloatStorage: ['float32', 4], DoubleStorage: ['float64', 8], HalfStorage: ['float16', 2],
  BFloat16Storage: ['bfloat16', 2], LongStorage: ['int64', 8], IntStorage: ['int32', 4],
  ShortStorage: ['int16', 2], CharStorage: ['int8', 1], ByteStorage: ['uint8', 1], BoolStorage: ['bool', 1],
};

/** One storage record referenced by the pickle. `root`/`offset` are set for legacy sub-storage views. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly type: StorageType,
    readonly location: string,
    readonly numel: number,
    readonly root: StorageRef | null = null,
    readonly offset = 0,
  ) {}
}

/** A tensor as described by the pickle: storage + offset + size + stride, in elements. */
export class PendingTensor {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {}
}

/** A class object for a global resolved in 'opaque' mode. */
export class OpaqueClass {
  constructor(readonly className: string) {}
}

/** An instance of a non-allow-listed class, recorded but never constructed. */
export class OpaqueObject {
  state: unknown = undefined;
  constructor(readonly className: string, readonly args: readonly unknown[]) {}
}

interface AllowedGlobal {
  readonly kind: 'function';
  readonly name: string;
  call(args: readonly unknown[]): unknown;
}

export interface UnpickleOptions {
  /** Called for PERSID/BINPERSID; without it those opcodes are an error. */
  readonly persistentLoad?: (pid: unknown) => unknown;
  /** 'refuse' (default): a non-allow-listed global throws RefusedGlobalError. 'opaque': placeholders. */
  readonly unknownGlobals?: 'refuse' | 'opaque';
}

export interface UnpickleResult {
  readonly value: unknown;
  /** Offset just after the STOP opcode (the next pickle of a legacy stream starts here). */
  readonly end: number;
  /** Non-allow-listed globals kept as inert placeholders ('opaque' mode), "module.name", in first-seen order. */
  readonly foreignGlobals: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------
// Allow-list

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function intTuple(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => isInt(x) && x >= 0)) {
    throw new PickleError(`${what} must be a tuple of non-negative ints (got ${describe(v)})`);
  }
  return v as number[];
}

function rebuildTensor(args: readonly unknown[], fn: string, minArgs: number): PendingTensor {
  if (args.length < minArgs) throw new PickleError(`${fn} expects at least ${minArgs} arguments (got ${args.length})`);
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!(storage instanceof StorageRef)) throw new PickleError(`${fn}: first argument is not a storage (got ${describe(storage)})`);
  if (!isInt(offset) || offset < 0) throw new PickleError(`${fn}: storage offset must be a non-negative int (got ${describe(offset)})`);
  const sz = intTuple(size, `${fn}: size`);
  const st = intTuple(stride, `${fn}: stride`);
  if (sz.length !== st.length) throw new PickleError(`${fn}: size has ${sz.length} dims but stride has ${st.length}`);
  return new PendingTensor(storage, offset, sz, st, requiresGrad === true);
}

function rebuildParameter(args: readonly unknown[], fn: string): PendingTensor {
  const t = args[0];
  if (!(t instanceof PendingTensor)) throw new PickleError(`${fn}: first argument is not a tensor (got ${describe(t)})`);
  return new PendingTensor(t.storage, t.offset, t.size, t.stride, args[1] === true);
}

function makeSet(args: readonly unknown[]): Set<unknown> {
  const it = args[0];
  if (it === undefined) return new Set();
  if (Array.isArray(it) || it instanceof Set) return new Set(it);
  throw new PickleError(`set(): expected a list (got ${describe(it)})`);
}

const FUNCTIONS: Readonly<Record<string, (args: readonly unknown[]) => unknown>> = {
  'collections.OrderedDict': (args) => {
    const m = new Map<unknown, unknown>();
    const init = args[0];
    if (init === undefined) return m;
    if (init instanceof Map) return new Map(init);
    if (!Array.isArray(init)) throw new PickleError(`OrderedDict(): expected a list of pairs (got ${describe(init)})`);
    for (const pair of init) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new PickleError('OrderedDict(): items must be (key, value) pairs');
      m.set(pair[0], pair[1]);
    }
    return m;
  },
  'torch._utils._rebuild_tensor_v2': (args) => rebuildTensor(args, '_rebuild_tensor_v2', 4),
  'torch._utils._rebuild_tensor': (args) => rebuildTensor(args, '_rebuild_tensor', 4),
  'torch._utils._rebuild_parameter': (args) => rebuildParameter(args, '_rebuild_parameter'),
  'torch._utils._rebuild_parameter_with_state': (args) => rebuildParameter(args, '_rebuild_parameter_with_state'),
  'builtins.set': makeSet, '__builtin__.set': makeSet,
  'builtins.frozenset': makeSet, '__builtin__.frozenset': makeSet,
  '_codecs.encode': (args) => {
    // Protocol 2 pickles bytes as _codecs.encode(str, 'latin1').
    const [s, enc] = args;
    if (typeof s !== 'string') throw new PickleError(`_codecs.encode: expected a str (got ${describe(s)})`);
    const e = typeof enc === 'string' ? enc.toLowerCase().replace('_', '-') : 'utf-8';
    if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1') return new Uint8Array(Buffer.from(s, 'latin1'));
    if (e === 'utf-8' || e === 'utf8') return new Uint8Array(Buffer.from(s, 'utf8'));
    throw new PickleError(`_codecs.encode: unsupported encoding '${String(enc)}'`);
  },
};

const ALLOWED_SUMMARY = 'collections.OrderedDict, torch._utils._rebuild_tensor[_v2], torch._utils._rebuild_parameter, ' +
  'torch.*Storage, builtins.set/frozenset, _codecs.encode';

/** Resolves "module.name" against the allow-list; null when not allowed. */
export function resolveAllowedGlobal(module: string, name: string): AllowedGlobal | StorageType | null {
  const full = `${module}.${name}`;
  if ((module === 'torch' || module === 'torch.cuda') && Object.prototype.hasOwnProperty.call(STORAGE_TYPES, name)) {
    const [dtype, itemSize] = STORAGE_TYPES[name];
    return new StorageType(name, dtype, itemSize);
  }
  if (Object.prototype.hasOwnProperty.call(FUNCTIONS, full)) {
    const call = FUNCTIONS[full];
    return { kind: 'function', name: full, call };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Persistent IDs of torch storages

/**
 * A persistent-load callback for torch storages, caching one StorageRef per key. Accepts the ZIP shape
 * ('storage', type, key, location, numel) and the legacy one with a sixth view_metadata element.
 */
export function torchStorageLoader(): { load: (pid: unknown) => StorageRef; storages: Map<string, StorageRef> } {
  const storages = new Map<string, StorageRef>();
  const views = new Map<string, StorageRef>();
  const load = (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
      const what = Array.isArray(pid) && typeof pid[0] === 'string' ? `'${pid[0]}'` : describe(pid);
      throw new PickleError(`unsupported persistent id ${what} (only tensor storages are supported; pickled nn.Module source is not)`);
    }
    const [, type, rawKey, location, numel, viewMeta] = pid;
    if (!(type instanceof StorageType)) throw new PickleError(`persistent id: storage type is not a known torch storage class (got ${describe(type)})`);
    const key = typeof rawKey === 'string' ? rawKey : isInt(rawKey) ? String(rawKey) : null;
    if (key === null) throw new PickleError(`persistent id: storage key must be a string (got ${describe(rawKey)})`);
    if (!isInt(numel) || numel < 0) throw new PickleError(`persistent id: storage '${key}' has invalid element count ${describe(numel)}`);
    let root = storages.get(key);
    if (root === undefined) {
      root = new StorageRef(key, type, typeof location === 'string' ? location : String(location), numel);
      storages.set(key, root);
    } else if (root.type.dtype !== type.dtype) {
      throw new PickleError(`storage '${key}' is referenced as both ${root.type.className} and ${type.className}`);
    }
    if (viewMeta === undefined || viewMeta === null) return root;
    // Legacy sub-storage view: (view_key, offset, view_numel).
    if (!Array.isArray(viewMeta) || viewMeta.length !== 3 || !isInt(viewMeta[1]) || !isInt(viewMeta[2])) {
      throw new PickleError(`persistent id: storage '${key}' has malformed view metadata ${describe(viewMeta)}`);
    }
    const viewKey = String(viewMeta[0]);
    const [, off, n] = viewMeta as [unknown, number, number];
    let v = views.get(viewKey);
    if (v === undefined) {
      if (off < 0 || off + n > numel) throw new PickleError(`storage view '${viewKey}' [${off}, ${off + n}) is outside root storage '${key}' of ${numel} elements`);
      v = new StorageRef(viewKey, type, root.location, n, root, off);
      views.set(viewKey, v);
    }
    return v;
  };
  return { load, storages };
}

// ---------------------------------------------------------------------------------------------------------
// The machine

const MARK_OBJ = Symbol('mark');

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return `a sequence of ${v.length}`;
  if (v instanceof Map) return 'a dict';
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (v instanceof StorageType) return `torch.${v.className}`;
  if (v instanceof OpaqueClass || v instanceof OpaqueObject) return v.className;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '...' : v}'`;
  return String(v);
}

const OPNAMES: Readonly<Record<number, string>> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT',
  0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND',
  0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET',
  0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME',
  0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(b: Uint8Array, what: string): string {
  try {
    return utf8Strict.decode(b);
  } catch {
    throw new PickleError(`${what}: invalid UTF-8`);
  }
}

/** Python 2 str: torch.load decodes them as UTF-8; fall back to latin-1 for binary content. */
function decodePy2Str(b: Uint8Array): string {
  try {
    return utf8Strict.decode(b);
  } catch {
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  }
}

/** Little-endian two's-complement integer of LONG1/LONG4. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return normInt(v);
}

function normInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseDecimalInt(s: string, what: string): number | bigint {
  const t = s.trim().replace(/L$/, '');
  if (!/^[-+]?\d+$/.test(t)) throw new PickleError(`${what}: not an integer: '${s}'`);
  return normInt(BigInt(t));
}

/** Unescapes the body of a Python 2 STRING literal (repr of a str). */
function unescapePyString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') { out += c; continue; }
    const n = s[++i];
    switch (n) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '0': out += '\0'; break;
      case 'x': out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; break;
      default: out += n ?? '';
    }
  }
  return out;
}

function unescapeRawUnicode(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) =>
    String.fromCodePoint(parseInt((a ?? b) as string, 16)));
}

/**
 * Runs one pickle starting at `start` and returns its value and the offset after STOP.
 * Throws PickleError (or RefusedGlobalError) with the opcode and offset on malformed or truncated input.
 */
export function unpickle(buf: Uint8Array, start = 0, opts: UnpickleOptions = {}): UnpickleResult {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = buf.length;
  const unknownMode = opts.unknownGlobals ?? 'refuse';
  let pos = start;
  let op = 0;
  let opPos = start;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const foreign = new Set<string>();

  const fail = (msg: string): never => {
    throw new PickleError(`${OPNAMES[op] ?? 'opcode 0x' + op.toString(16)} at offset ${opPos}: ${msg}`);
  };
  const need = (k: number): void => {
    if (k < 0 || pos + k > n) fail(`truncated: needs ${k} more bytes but only ${Math.max(0, n - pos)} remain`);
  };
  const bytes = (k: number): Uint8Array => {
    need(k);
    const b = buf.subarray(pos, pos + k);
    pos += k;
    return b;
  };
  const u8 = (): number => { need(1); return buf[pos++]; };
  const u16 = (): number => { need(2); const v = dv.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = dv.getUint32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(n)) fail(`length ${v} exceeds the buffer; file truncated or corrupt`);
    return Number(v);
  };
  const line = (): string => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) fail('truncated: missing end of line');
    const s = Buffer.from(buf.buffer, buf.byteOffset + pos, nl - pos).toString('latin1');
    pos = nl + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow (corrupt pickle)');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow (corrupt pickle)');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) fail('no MARK on the stack (corrupt pickle)');
    stack = prev as unknown[];
    return items;
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) fail(`memo key ${i} not defined (corrupt pickle)`);
    return memo.get(i);
  };
  const memoPut = (i: number): void => { memo.set(i, top()); };
  const resolveGlobal = (module: string, name: string): unknown => {
    const g = resolveAllowedGlobal(module, name);
    if (g !== null) return g;
    if (unknownMode === 'opaque') {
      foreign.add(`${module}.${name}`);
      return new OpaqueClass(`${module}.${name}`);
    }
    throw new RefusedGlobalError(`${module}.${name}`);
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!Array.isArray(args)) fail(`arguments must be a tuple (got ${describe(args)})`);
    const a = args as unknown[];
    if (fn instanceof OpaqueClass) return new OpaqueObject(fn.className, a);
    if (fn instanceof StorageType) fail(`cannot construct torch.${fn.className} directly (only through persistent IDs)`);
    if (typeof fn === 'object' && fn !== null && (fn as AllowedGlobal).kind === 'function') {
      const g = fn as AllowedGlobal;
      try {
        return g.call(a);
      } catch (err) {
        if (err instanceof PickleError) fail(err.message);
        throw err;
      }
    }
    return fail(`object is not callable (${describe(fn)})`);
  };
  const setItems = (d: unknown, items: unknown[]): void => {
    if (items.length % 2 !== 0) fail('odd number of items for a dict');
    if (d instanceof Map) {
      for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
    } else if (d instanceof OpaqueObject) {
      // __setitem__ on an opaque object: keep the items as its state dict.
      const m = d.state instanceof Map ? d.state : new Map<unknown, unknown>();
      for (let i = 0; i < items.length; i += 2) m.set(items[i], items[i + 1]);
      d.state = m;
    } else {
      fail(`SETITEM(S) on ${describe(d)}`);
    }
  };
  const appendItems = (l: unknown, items: unknown[]): void => {
    if (Array.isArray(l)) for (const x of items) l.push(x);
    else if (l instanceof OpaqueObject) {
      const arr = Array.isArray(l.state) ? l.state : [];
      for (const x of items) arr.push(x);
      l.state = arr;
    } else fail(`APPEND(S) on ${describe(l)}`);
  };

  for (;;) {
    opPos = pos;
    if (pos >= n) {
      op = -1;
      throw new PickleError(`truncated pickle: data ends at offset ${n} before the STOP opcode (pickle started at ${start})`);
    }
    op = buf[pos++];
    switch (op) {
      case 0x80: { // PROTO
        const p = u8();
        if (p > 5) fail(`unsupported pickle protocol ${p}`);
        break;
      }
      case 0x95: u64(); break; // FRAME: the length is advisory
      case 0x2e: { // STOP
        const value = pop();
        if (metastack.length !== 0) fail('unbalanced MARK at STOP (corrupt pickle)');
        return { value, end: pos, foreignGlobals: [...foreign] };
      }
      case 0x28: metastack.push(stack); stack = []; break; // MARK
      case 0x30: // POP
        if (stack.length === 0) { popMark(); } else stack.pop();
        break;
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      // --- constants
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4a: need(4); stack.push(dv.getInt32(pos, true)); pos += 4; break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(decodeLong(bytes(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        need(4);
        const k = dv.getInt32(pos, true);
        pos += 4;
        if (k < 0) fail('negative length');
        stack.push(decodeLong(bytes(k)));
        break;
      }
      case 0x47: need(8); stack.push(dv.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x49: { // INT (text); "01"/"00" are True/False in protocol 0
        const s = line();
        if (s === '01') stack.push(true);
        else if (s === '00') stack.push(false);
        else stack.push(parseDecimalInt(s, 'INT'));
        break;
      }
      case 0x4c: stack.push(parseDecimalInt(line(), 'LONG')); break;
      case 0x46: { // FLOAT (text)
        const v = Number(line().trim());
        if (Number.isNaN(v)) fail('not a float');
        stack.push(v);
        break;
      }
      // --- strings and bytes
      case 0x58: stack.push(decodeUtf8(bytes(u32()), 'BINUNICODE')); break;
      case 0x8c: stack.push(decodeUtf8(bytes(u8()), 'SHORT_BINUNICODE')); break;
      case 0x8d: stack.push(decodeUtf8(bytes(u64()), 'BINUNICODE8')); break;
      case 0x56: stack.push(unescapeRawUnicode(line())); break; // UNICODE (raw-unicode-escape)
      case 0x55: stack.push(decodePy2Str(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x54: { // BINSTRING
        need(4);
        const k = dv.getInt32(pos, true);
        pos += 4;
        if (k < 0) fail('negative length');
        stack.push(decodePy2Str(bytes(k)));
        break;
      }
      case 0x53: { // STRING (quoted repr)
        const s = line().trim();
        const q = s[0];
        if (s.length < 2 || (q !== '"' && q !== "'") || s[s.length - 1] !== q) fail('STRING is not a quoted literal');
        stack.push(unescapePyString(s.slice(1, -1)));
        break;
      }
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x8e: stack.push(bytes(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(bytes(u64()).slice()); break; // BYTEARRAY8
      case 0x97: case 0x98: fail('out-of-band buffers (protocol 5) are not supported'); break;
      // --- containers
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x74: { const items = popMark(); stack.push(items); break; } // TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { const items = popMark(); stack.push(items); break; } // LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const items = popMark(); const d = new Map(); setItems(d, items); stack.push(d); break; } // DICT
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x91: { const items = popMark(); stack.push(new Set(items)); break; } // FROZENSET
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`ADDITEMS on ${describe(s)}`);
        for (const x of items) (s as Set<unknown>).add(x);
        break;
      }
      // --- memo
      case 0x71: memoPut(u8()); break; // BINPUT
      case 0x72: memoPut(u32()); break; // LONG_BINPUT
      case 0x70: memoPut(Number(parseDecimalInt(line(), 'PUT'))); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x67: stack.push(memoGet(Number(parseDecimalInt(line(), 'GET')))); break; // GET
      // --- globals and objects
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('module and name must be strings');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x82: case 0x83: case 0x84: fail('extension registry codes (EXT1/2/4) are not supported'); break;
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (kwargs instanceof Map && kwargs.size > 0 && !(cls instanceof OpaqueClass)) fail('keyword arguments are not supported');
        stack.push(call(cls, args));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const name = line();
        const args = popMark();
        stack.push(call(resolveGlobal(module, name), args));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        stack.push(call(items[0], items.slice(1)));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof OpaqueObject) obj.state = state;
        else if (obj instanceof Map || obj instanceof PendingTensor) { /* state_dict _metadata, tensor state: ignored */ }
        else fail(`BUILD on ${describe(obj)}`);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent IDs are not allowed here');
        try {
          stack.push(opts.persistentLoad!(pid));
        } catch (err) {
          if (err instanceof PickleError) fail(err.message);
          throw err;
        }
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!opts.persistentLoad) fail('persistent IDs are not allowed here');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default:
        fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')} (corrupt pickle)`);
    }
  }
}
