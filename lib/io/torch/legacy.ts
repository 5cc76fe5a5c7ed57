/**
 * The legacy (non-ZIP) torch.save stream (PyTorch < 1.6, or `_use_new_zipfile_serialization=False`): five
 * consecutive pickles (magic number,
 * protocol version, sys_info, the object graph, the list of storage keys) followed by the raw storages,
 * each an int64 element count and then the little-endian element bytes.
 */
import { PickleError, StorageRef, torchStorageLoader, unpickle } from './pickle';

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
export const LEGACY_PROTOCOL_VERSION = 1001;

export interface LegacyContents {
  /** The object graph (pickle values: Map, arrays, PendingTensor, ...). */
  readonly root: unknown;
  /** Root storages by key, as referenced by the pickle. */
  readonly storages: ReadonlyMap<string, StorageRef>;
  /** Raw bytes of each root storage (views into the input buffer). */
  readonly data: ReadonlyMap<string, Uint8Array>;
  readonly littleEndian: boolean;
  /** Globals of the object graph kept as inert placeholders (`unknownGlobals: 'opaque'`), by name. */
  readonly foreignGlobals: readonly string[];
}

/** True when the buffer starts with PROTO 2 + LONG1 of 10 bytes, the legacy magic's encoding. */
export function looksLegacy(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x80 && buf[1] === 0x02 && buf[2] === 0x8a && buf[3] === 0x0a;
}

export function readLegacy(buf: Uint8Array, opts: { unknownGlobals?: 'refuse' | 'opaque' } = {}): LegacyContents {
  const magic = unpickle(buf, 0);
  if (magic.value !== LEGACY_MAGIC) {
    throw new PickleError(`bad legacy magic number ${String(magic.value)} (expected 0x${LEGACY_MAGIC.toString(16)})`);
  }
  const proto = unpickle(buf, magic.end);
  if (proto.value !== LEGACY_PROTOCOL_VERSION) {
    throw new PickleError(`unsupported legacy protocol version ${String(proto.value)} (expected ${LEGACY_PROTOCOL_VERSION})`);
  }
  const sys = unpickle(buf, proto.end);
  if (!(sys.value instanceof Map)) throw new PickleError('legacy sys_info is not a dict');
  const littleEndian = sys.value.get('little_endian') !== false;
  const loader = torchStorageLoader();
  const graph = unpickle(buf, sys.end, { persistentLoad: loader.load, unknownGlobals: opts.unknownGlobals });
  const keysPickle = unpickle(buf, graph.end);
  const keys = keysPickle.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new PickleError('legacy storage key list is not a list of strings');
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const data = new Map<string, Uint8Array>();
  let pos = keysPickle.end;
  for (const key of keys as string[]) {
    const ref = loader.storages.get(key);
    if (ref === undefined) throw new PickleError(`legacy storage '${key}' is listed but never referenced by the pickle`);
    if (pos + 8 > buf.length) {
      throw new PickleError(`truncated: storage '${key}' header at offset ${pos} is past the end of the file (${buf.length} bytes)`);
    }
    const count = dv.getBigInt64(pos, littleEndian);
    pos += 8;
    if (count !== BigInt(ref.numel)) {
      throw new PickleError(`storage '${key}' at offset ${pos - 8} holds ${count} elements but the pickle expects ${ref.numel} (corrupt file)`);
    }
    const len = ref.numel * ref.type.itemSize;
    if (pos + len > buf.length) {
      throw new PickleError(`truncated: storage '${key}' needs ${len} bytes at offset ${pos} but the file ends at ${buf.length}`);
    }
    data.set(key, buf.subarray(pos, pos + len));
    pos += len;
  }
  for (const key of loader.storages.keys()) {
    if (!data.has(key)) throw new PickleError(`storage '${key}' is referenced by the pickle but missing from the storage list`);
  }
  return { root: graph.value, storages: loader.storages, data, littleEndian, foreignGlobals: graph.foreignGlobals };
}
