/**
 * Loads official PyTorch checkpoints (EDSR-PyTorch, official RCAN, BasicSR/DUKD, SwinIR `params`/`params_ema`)
 * into a kit network; the key map of each source lives in io/weight-maps/.
 *
 * `loadPretrained(net, file, { strict: true })` reads the file, detects its key layout, maps it to the kit's
 * BasicSR names and HWIO layout, compares with `net.params` and, when everything fits, assigns the weights.
 * Strict loading collects every missing, unexpected and wrong-shape key first and fails with one message
 * listing all three, headed by a diagnosis where one is possible (scale or architecture of the file vs the
 * model). Nothing is assigned when a strict load fails. Non-strict loading assigns whatever fits (same key,
 * same shape) and reports the rest. `inferArchFromCheckpoint(file)` reads the hyper-parameters back from
 * the tensor shapes.
 */
import * as tf from '@tensorflow/tfjs';
import type { Scale } from '../types';
import type { WeightShapes } from '../models/arch-spec';
import { ARCH_NAMES, ARCHS, archSpec } from '../models/archs/index';
import type { ArchConfig, SRNet } from '../models/types';
import { type StateDict, type TorchCheckpoint, TorchCheckpointError, findStateDict, isTorchTensor, readTorchCheckpoint, stateDict } from './torch/checkpoint';
import { type KitWeights, type MappedWeights, type SourceLayout, detectLayout, mapBasicsr } from './weight-maps/basicsr';
import { mapEdsrOfficial } from './weight-maps/edsr-official';
import { mapRcanOfficial } from './weight-maps/rcan-official';
import { mapSwinir } from './weight-maps/swinir';

export interface LoadPretrainedOptions {
  /** Fail unless keys and shapes match exactly (default true). */
  readonly strict?: boolean;
  /** Wrapper key holding the state dict, e.g. 'params_ema' (falls back to 'params' like BasicSR). Default: auto. */
  readonly key?: string;
  /** Non-strict loads only: model keys for which this returns true are left untouched (reported as `skipped`). */
  readonly skip?: (key: string) => boolean;
}

export type ShapeMismatch = { readonly key: string; readonly file: readonly number[]; readonly model: readonly number[] };

export interface LoadReport {
  readonly file: string;
  readonly format: 'zip' | 'legacy';
  /** Key naming found in the file. */
  readonly layout: SourceLayout;
  /** Network family the keys belong to (null: not recognisable). */
  readonly fileArch: ArchConfig['arch'] | null;
  /** Wrapper keys followed to the state dict ([] = bare state dict, ['params_ema'], ...). */
  readonly statePath: readonly string[];
  /** Kit keys assigned. */
  readonly loaded: readonly string[];
  /** Model keys the file does not provide (left untouched). */
  readonly missing: readonly string[];
  /** File keys (after renaming) the model does not have. */
  readonly unexpected: readonly string[];
  /** Keys present in both with different shapes (left untouched). */
  readonly mismatched: readonly ShapeMismatch[];
  /** File keys deliberately skipped (mean-shift convs, recomputed buffers). */
  readonly dropped: readonly string[];
  /** Upscaling factor the file's upsampler implies (null: not derivable). */
  readonly fileScale: Scale | null;
  /** Model keys left untouched on purpose (`skip`), whether or not the file has them. */
  readonly skipped: readonly string[];
}

/** A strict load that did not fit; carries the three lists. */
export class PretrainedLoadError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly missing: readonly string[] = [],
    readonly unexpected: readonly string[] = [],
    readonly mismatched: readonly ShapeMismatch[] = [],
  ) {
    super(message);
    this.name = 'PretrainedLoadError';
  }
}

const ARCH_LABEL: Record<ArchConfig['arch'], string> = { edsr: 'EDSR', rcan: 'RCAN', swinir: 'SwinIR' };
const ARCH_EVIDENCE: Record<ArchConfig['arch'], string> = {
  edsr: 'body.{i}.conv1/conv2 keys',
  rcan: 'residual_group keys',
  swinir: 'patch_embed / residual_group.blocks keys',
};

interface ReadState {
  readonly ckpt: TorchCheckpoint;
  readonly path: string[];
  readonly sd: StateDict;
  readonly layout: SourceLayout;
  readonly mapped: MappedWeights;
}

function readAndMap(file: string, key: string | undefined): ReadState {
  const ckpt = readTorchCheckpoint(file);
  let prefer: string[] | undefined;
  if (key !== undefined) {
    prefer = key === 'params_ema' ? ['params_ema', 'params'] : [key];
    const root = ckpt.root as Record<string, unknown>;
    const isWrapper = typeof root === 'object' && root !== null && !Array.isArray(root) && !ArrayBuffer.isView(root) &&
      !isTorchTensor(root);
    // A bare state dict (all values tensors) has no wrapper keys; only a wrapper without the key is an error.
    if (isWrapper && !Object.values(root).every((v) => isTorchTensor(v)) &&
      !prefer.some((k) => Object.prototype.hasOwnProperty.call(root, k))) {
      const top = Object.keys(root);
      throw new PretrainedLoadError(file, `${file}: no '${key}' entry (top-level keys: ${top.slice(0, 20).map((k) => `'${k}'`).join(', ')})`);
    }
  }
  const found = findStateDict(ckpt, prefer ? { prefer } : {});
  const sd = stateDict(ckpt, prefer ? { prefer } : {});
  const layout = detectLayout(Object.keys(sd));
  let mapped: MappedWeights;
  try {
    mapped = layout === 'edsr-official' ? mapEdsrOfficial(sd) : layout === 'rcan-official' ? mapRcanOfficial(sd)
      : isSwinirKeys(Object.keys(sd)) ? mapSwinir(sd) : mapBasicsr(sd);
  } catch (err) {
    throw new TorchCheckpointError(file, `cannot map the state dict (${(err as Error).message})`, { cause: err });
  }
  return { ckpt, path: found.path, sd, layout, mapped };
}

function isSwinirKeys(keys: readonly string[]): boolean {
  return ARCHS.swinir.recognises(keys);
}

/** Network family of kit-named weights (null when unrecognisable). */
function archOfKeys(keys: readonly string[]): ArchConfig['arch'] | null {
  return ARCH_NAMES.find((a) => ARCHS[a].recognises(keys)) ?? null;
}

/** Upsampler stages of kit-named weights: shuffle factor per stage, from the conv's out/in channel ratio. */
function upsampleStages(w: KitWeights): { key: string; shape: number[]; r: number | null }[] {
  const out: { key: string; shape: number[]; r: number | null }[] = [];
  for (let i = 0; ; i += 2) {
    const t = w[`upsample.${i}.weight`];
    if (t === undefined || t.shape.length !== 4) break;
    const [, , cin, cout] = t.shape;
    const hasLast = w['conv_last.weight'] !== undefined;
    // 'pixelshuffledirect' (no conv_last): conv C -> 3*s*s.
    const ratio = hasLast ? cout / cin : cout / 3;
    const r = Number.isInteger(Math.sqrt(ratio)) ? Math.sqrt(ratio) : null;
    out.push({ key: `upsample.${i}.weight`, shape: t.shape, r });
  }
  return out;
}

function scaleOfWeights(w: KitWeights): { scale: number | null; evidence: string } {
  const stages = upsampleStages(w);
  if (stages.length === 0 || stages.some((s) => s.r === null)) return { scale: null, evidence: '' };
  const scale = stages.reduce((a, s) => a * (s.r as number), 1);
  const evidence = stages.map((s) => `${s.key} [${s.shape.join(',')}]`).join(' and ') +
    ` = x${scale} pixel shuffle`;
  return { scale, evidence };
}

function asScale(s: number | null): Scale | null {
  return s === 2 || s === 3 || s === 4 ? s : null;
}

function shapeOf(w: KitWeights, key: string): number[] | null {
  return w[key]?.shape ?? null;
}

/** Hyper-parameters from kit-named weights (each backbone's ArchSpec.fromWeights); throws naming what is missing. */
function archOfWeights(w: KitWeights, file: string): { arch: ArchConfig; guessed: string[] } {
  const keys = Object.keys(w);
  const family = archOfKeys(keys);
  if (family === null) {
    throw new PretrainedLoadError(file, `${file}: cannot infer the architecture: keys match neither ${ARCH_NAMES.map((a) => ARCHS[a].title).join(', ')} ` +
      `(first keys: ${keys.slice(0, 6).join(', ')})`);
  }
  const shapes: WeightShapes = {
    keys,
    shape: (key) => shapeOf(w, key),
    need(key) {
      const s = shapeOf(w, key);
      if (s === null) throw new PretrainedLoadError(file, `${file}: cannot infer the architecture: no '${key}'`);
      return s;
    },
    count(re) {
      let n = 0;
      for (const k of keys) {
        const m = re.exec(k);
        if (m) n = Math.max(n, Number(m[1]) + 1);
      }
      return n;
    },
  };
  return archSpec(family).fromWeights(shapes);
}

export interface InferredArch {
  readonly arch: ArchConfig;
  readonly scale: Scale;
  readonly layout: SourceLayout;
  /** Config fields that the weights cannot tell and were set by convention (e.g. EDSR/RCAN 'resScale'). */
  readonly guessed: readonly string[];
}

/**
 * Reads the architecture back from a checkpoint's tensor shapes: EDSR feats/blocks, RCAN feats/groups/blocks/
 * reduction, SwinIR embed dim/depths/heads/window/MLP ratio/upsampler, and the scale from the upsampler.
 * Res-scale is not stored in any weight: EDSR C64 B16 is taken to be the original baseline (1), other EDSRs 0.1.
 */
export function inferArchFromCheckpoint(file: string, opts: { readonly key?: string } = {}): InferredArch {
  const st = readAndMap(file, opts.key);
  const { arch, guessed } = archOfWeights(st.mapped.weights, file);
  const { scale, evidence } = scaleOfWeights(st.mapped.weights);
  const s = asScale(scale);
  if (s === null) {
    throw new PretrainedLoadError(file, `${file}: cannot infer a supported scale (2, 3, 4) from the upsampler` +
      (evidence ? ` (${evidence})` : ' (no upsample.* weights)'));
  }
  return { arch, scale: s, layout: st.layout, guessed };
}

function describeArch(a: ArchConfig): string {
  return archSpec(a).describe(a);
}

/** Differences in the weight-visible hyper-parameters (resScale is invisible and ignored). */
function archDiff(file: ArchConfig, model: ArchConfig): string[] {
  if (file.arch !== model.arch) return ['arch'];
  const out: string[] = [];
  const f = file as unknown as Record<string, unknown>;
  const m = model as unknown as Record<string, unknown>;
  for (const k of Object.keys(m)) {
    if (k === 'resScale' || k === 'arch') continue;
    if (k === 'upsampleFeats' && m.upsampler === 'pixelshuffledirect') continue;
    if (JSON.stringify(f[k]) !== JSON.stringify(m[k])) out.push(`${k} ${JSON.stringify(f[k])} vs ${JSON.stringify(m[k])}`);
  }
  return out;
}

const LIST_LIMIT = 40;
function listBlock(title: string, items: readonly string[]): string {
  if (items.length === 0) return `  ${title} (0): none`;
  const shown = items.slice(0, LIST_LIMIT).map((s) => `    ${s}`);
  if (items.length > LIST_LIMIT) shown.push(`    ... and ${items.length - LIST_LIMIT} more`);
  return `  ${title} (${items.length}):\n${shown.join('\n')}`;
}

/**
 * Loads a PyTorch checkpoint into `net`, strict by default (every missing, unexpected and wrong-shape key is listed
 * before failing; nothing is assigned). Layouts: EDSR-PyTorch official, official RCAN,
 * BasicSR (EDSR/RCAN conversions, DUKD checkpoints), SwinIR (official and BasicSR; `params`/`params_ema`).
 * Throws `TorchCheckpointError` for unreadable/truncated files and `PretrainedLoadError` for a strict load
 * that does not fit (nothing assigned) or a file of another network family.
 */
export function loadPretrained(net: SRNet, file: string, opts: LoadPretrainedOptions = {}): LoadReport {
  const strict = opts.strict ?? true;
  const st = readAndMap(file, opts.key);
  const weights = st.mapped.weights;
  const fileKeys = Object.keys(weights);
  const fileArch = archOfKeys(fileKeys);
  const modelArch = net.arch.arch;
  if (fileArch !== null && fileArch !== modelArch) {
    throw new PretrainedLoadError(file, `${file}: file looks like ${ARCH_LABEL[fileArch]} (${ARCH_EVIDENCE[fileArch]}); ` +
      `the model is ${ARCH_LABEL[modelArch]}`);
  }
  const { scale: fileScale, evidence } = scaleOfWeights(weights);

  const missing: string[] = [];
  const mismatched: ShapeMismatch[] = [];
  const loaded: string[] = [];
  const skipped: string[] = [];
  for (const [key, v] of net.params) {
    const t = weights[key];
    if (!strict && opts.skip?.(key)) skipped.push(key);
    else if (t === undefined) missing.push(key);
    else if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      mismatched.push({ key, file: t.shape, model: v.shape.slice() });
    } else loaded.push(key);
  }
  const unexpected = fileKeys.filter((k) => !net.params.has(k));

  if (strict && (missing.length || unexpected.length || mismatched.length)) {
    const why: string[] = [];
    if (fileScale !== null && fileScale !== net.scale) why.push(`file has ${evidence}; the model is x${net.scale}`);
    if (fileArch !== null) {
      try {
        const inferred = archOfWeights(weights, file).arch;
        const diff = archDiff(inferred, net.arch);
        if (diff.length) why.push(`file looks like ${describeArch(inferred)}; the model is ${describeArch(net.arch)} (${diff.join('; ')})`);
      } catch {
        // partial files: no diagnosis beyond the lists
      }
    }
    const msg = [
      `${file}: checkpoint does not fit the ${ARCH_LABEL[modelArch]} x${net.scale} model (strict load; nothing was assigned)` +
        (why.length ? `\n  ${why.join('\n  ')}` : ''),
      listBlock('missing in file', missing),
      listBlock('unexpected in file', unexpected),
      listBlock('wrong shape', mismatched.map((m) => `${m.key}: file [${m.file.join(',')}], model [${m.model.join(',')}]`)),
    ].join('\n');
    throw new PretrainedLoadError(file, msg, missing, unexpected, mismatched);
  }

  for (const key of loaded) {
    const t = weights[key];
    const v = net.params.get(key) as tf.Variable;
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
  }
  return {
    file, format: st.ckpt.format, layout: st.layout, fileArch, statePath: st.path, loaded, missing, unexpected,
    mismatched, dropped: st.mapped.dropped, fileScale: asScale(fileScale), skipped,
  };
}

/** One-paragraph human summary of a load report. */
export function formatLoadReport(r: LoadReport): string {
  const parts = [
    `${r.file}: ${r.format} checkpoint, ${r.layout} layout${r.statePath.length ? ` ('${r.statePath.join('.')}')` : ''}, ` +
      `${r.loaded.length} tensors loaded, ${r.dropped.length} dropped (buffers / mean shift)`,
  ];
  if (r.missing.length) parts.push(`missing: ${r.missing.join(', ')}`);
  if (r.unexpected.length) parts.push(`unexpected: ${r.unexpected.join(', ')}`);
  if (r.mismatched.length) parts.push(`wrong shape: ${r.mismatched.map((m) => `${m.key} [${m.file}] vs [${m.model}]`).join(', ')}`);
  return parts.join('\n');
}
