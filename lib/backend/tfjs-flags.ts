/**
 * SRKD_TFJS_FLAGS: TF.js environment flags for experiments with a backend's own switches, e.g.
 * `SRKD_TFJS_FLAGS=WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64,WEBGPU_CONV_SEPARATE_IM2COL_SHADER=true` (the webgpu
 * backend's flags: node_modules/@tensorflow/tfjs-backend-webgpu/dist/flags_webgpu.js). Node has no other way to
 * set them (browsers read a URL parameter). Values: true/false, numbers, else strings. Applied once the backend
 * is active (its flags are registered by then); an unknown flag is an error that names it.
 */
import * as tf from '@tensorflow/tfjs';

export type TfjsFlags = Readonly<Record<string, boolean | number | string>>;

/** `NAME=value,NAME=value` as flags; throws naming the entry that is not NAME=value. */
export function parseTfjsFlags(value: string | undefined): TfjsFlags {
  const flags: Record<string, boolean | number | string> = {};
  for (const entry of (value ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(entry);
    if (!m) throw new Error(`SRKD_TFJS_FLAGS: '${entry}' is not NAME=value (e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64)`);
    const raw = m[2].trim();
    flags[m[1]] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return flags;
}

/** Backend packages whose flags carry their prefix; they are registered only where that package is loaded. */
const BACKEND_PREFIXES: Readonly<Record<string, string>> = { WEBGPU_: 'webgpu', WASM_: 'wasm', WEBGL_: 'webgl' };

/**
 * Sets each flag on tf.env(); an unregistered name is an error that lists the flags the active backend has.
 * Another backend's flags (WEBGPU_... on wasm, say) are left alone: the variable reaches every process of a
 * run (the cpu reference of a check too), and only the backend it names reads them. Returns what was set.
 */
export function applyTfjsFlags(flags: TfjsFlags): TfjsFlags {
  const env = tf.env() as unknown as { flagRegistry: Record<string, unknown>; set(name: string, value: unknown): void };
  const set: Record<string, boolean | number | string> = {};
  for (const [name, value] of Object.entries(flags)) {
    const owner = Object.entries(BACKEND_PREFIXES).find(([prefix]) => name.startsWith(prefix))?.[1];
    if (owner !== undefined && owner !== tf.getBackend()) continue;
    if (!(name in env.flagRegistry)) {
      const known = Object.keys(env.flagRegistry).filter((k) => k.startsWith(name.split('_')[0] + '_'));
      throw new Error(`SRKD_TFJS_FLAGS: no TF.js flag '${name}' on backend '${tf.getBackend()}'` +
        (known.length ? ` (flags with that prefix: ${known.join(', ')})` : ''));
    }
    env.set(name, value);
    set[name] = value;
  }
  return set;
}
