/**
 * Student warm start: DUKD's code starts every EDSR x4 student from the x2 student of
 * the same method (`pretrain_network_g: ...x2...pth`, `strict_load_g: false`). Two modes:
 *  - 'all-but-upsampler' (the kit's default: the x4 upsampler has other shapes, so it starts fresh): every parameter outside the upsampler is copied
 *    (all of them must match in name and shape, else an error lists the misfits); the upsampler (`upsample.*`)
 *    keeps its fresh initialisation;
 *  - 'all-matching' (the official code: BasicSR's non-strict load): every parameter whose name and shape
 *    match is copied, which at x2 -> x4 includes the first upsampling conv (`upsample.0`, same shape).
 * Sources: a kit model directory, a finished run directory (its `model/`), or a PyTorch checkpoint.
 *
 * Weight sets: BasicSR loads the x2 run's raw weights (`params`) into the student and its EMA weights
 * (`params_ema`) into the EMA copy (`SRModel.__init__` / `init_training_settings`, both with `strict_load_g`).
 * 'all-matching' does the same (`warmStartSets`): a run directory gives `model-raw/` (raw) and `model/` (EMA),
 * a PyTorch checkpoint its 'params' and 'params_ema'. A run stored before `model-raw/` existed (or trained
 * without EMA), and a checkpoint with one set, give that set to both (the report's `note` says so), as BasicSR
 * falls back to 'params' for the EMA copy. Keys the source lacks keep the student's fresh values in both copies
 * (BasicSR draws a second random init for its EMA net there). 'all-but-upsampler' loads the EMA weights into
 * both, as before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { StudentInitConfig } from '../config/train';
import { readModelFile } from '../io/model-file';
import { loadPretrained, PretrainedLoadError } from '../io/pretrained';
import type { SRNet } from '../models/types';
import { resolveWeightsSource } from '../io/weights-source';


/** Which weights a load takes: BasicSR's raw 'params', its 'params_ema', or 'auto' (a run's model/, a checkpoint's default). */
export type WeightSet = 'params' | 'params_ema' | 'auto';

/** The run-directory folder holding a finished run's raw (non-EMA) student weights, beside `model/` (EMA). */
export const RAW_MODEL_DIR = 'model-raw';

/** The weight set a warm-start mode loads into the student and into the EMA copy (null: the EMA starts as the student). */
export function warmStartSets(mode: StudentInitConfig['mode']): { student: WeightSet; ema: WeightSet | null } {
  // 'all-matching': BasicSR's SRModel (pretrain_network_g with param_key 'params', then 'params_ema' for net_g_ema)
  return mode === 'all-matching' ? { student: 'params', ema: 'params_ema' } : { student: 'auto', ema: null };
}

export interface WarmStartReport {
  readonly file: string;
  /** The weight set asked for, and a note when the source has only one set. */
  readonly set: WeightSet;
  readonly note: string | null;
  /** Parameters copied from the file. */
  readonly loaded: readonly string[];
  /** Parameters that keep their fresh initialisation, each with the reason. */
  readonly kept: ReadonlyArray<{ readonly key: string; readonly why: 'upsampler' | 'not in file' | 'other shape' }>;
}

export function isUpsamplerKey(key: string): boolean {
  return key.startsWith('upsample.');
}

/**
 * Copies matching weights into `net` (non-strict). Errors name the file: a source of another network family,
 * or one that provides none of the net's parameters.
 */
export function warmStartStudent(net: SRNet, init: StudentInitConfig, set: WeightSet = 'auto'): WarmStartReport {
  const src = resolveWeightsSource(init.weights, 'studentInit.weights');
  const skipUpsampler = init.mode === 'all-but-upsampler';
  const kept: Array<WarmStartReport['kept'][number]> = [];
  const loaded: string[] = [];
  let note: string | null = null;
  if (src.kind === 'srkd-model' && set === 'params') {
    const raw = path.join(path.dirname(src.path), RAW_MODEL_DIR);
    if (path.basename(src.path) === 'model' && fs.existsSync(raw)) src.path = raw;
    else note = `${src.path} has no ${RAW_MODEL_DIR}/ beside it (a run stored before raw weights were kept, or without EMA): its weights start the student too`;
  }
  // A PyTorch checkpoint goes through the checkpoint reader and its weight maps (assigning as it goes, so a
  // misfit below leaves the net partly loaded: callers discard it); a kit model is checked before assigning.
  let assign = (): void => {};
  if (src.kind === 'pytorch') {
    const opts = { strict: false, skip: skipUpsampler ? isUpsamplerKey : undefined };
    let r: ReturnType<typeof loadPretrained>;
    try {
      r = loadPretrained(net, src.path, { ...opts, key: set === 'auto' ? undefined : set });
    } catch (err) {
      // a checkpoint without 'params' (e.g. only 'params_ema'): its one set starts the student too
      if (!(set === 'params' && err instanceof PretrainedLoadError && /no 'params' entry/.test(err.message))) throw err;
      r = loadPretrained(net, src.path, opts);
      note = `${src.path} has no 'params' entry: '${r.statePath.join('.')}' starts the student too`;
    }
    if (set === 'params_ema' && r.statePath[0] !== 'params_ema') note = `${src.path} has no 'params_ema' entry: the EMA copy starts from '${r.statePath.join('.') || 'the state dict'}' (as BasicSR)`;
    loaded.push(...r.loaded);
    for (const key of r.skipped) kept.push({ key, why: 'upsampler' });
    for (const key of r.missing) kept.push({ key, why: 'not in file' });
    for (const m of r.mismatched) kept.push({ key: m.key, why: 'other shape' });
  } else {
    const { meta, tensors } = readModelFile(src.path);
    if (meta.arch.arch !== net.arch.arch) {
      throw new Error(`studentInit.weights: ${src.path} holds a ${meta.arch.arch} model; the student is ${net.arch.arch}`);
    }
    for (const [key, v] of net.params) {
      const t = tensors.get(key);
      if (skipUpsampler && isUpsamplerKey(key)) kept.push({ key, why: 'upsampler' });
      else if (t === undefined) kept.push({ key, why: 'not in file' });
      else if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) kept.push({ key, why: 'other shape' });
      else loaded.push(key);
    }
    assign = () => {
      for (const key of loaded) {
        const t = tensors.get(key)!;
        const v = net.params.get(key)!;
        tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
      }
    };
  }
  if (skipUpsampler) {
    // The spec's warm start takes the whole body: a body that does not fit is a different network.
    const misfit = kept.filter((k) => k.why !== 'upsampler');
    if (misfit.length > 0) {
      throw new Error(`studentInit.weights: ${src.path} does not fit the student outside the upsampler ` +
        `(${misfit.map((k) => `${k.key}: ${k.why}`).join(', ')}); nothing usable for mode 'all-but-upsampler'`);
    }
  }
  if (loaded.length === 0) {
    throw new Error(`studentInit.weights: ${src.path} provides none of the student's ${net.params.size} parameters (names or shapes differ)`);
  }
  assign();
  return { file: src.path, set, note, loaded, kept };
}

/** One line for logs, e.g. "student init: 68/72 tensors from runs/x2/model; fresh: upsample.0.weight (upsampler), ...". */
export function formatWarmStart(r: WarmStartReport): string {
  const total = r.loaded.length + r.kept.length;
  const fresh = r.kept.map((k) => `${k.key} (${k.why})`);
  const what = r.set === 'params_ema' ? 'student EMA init' : 'student init';
  return `${what}: ${r.loaded.length}/${total} tensors from ${r.file}${fresh.length ? `; fresh: ${fresh.join(', ')}` : ''}${r.note ? ` (${r.note})` : ''}`;
}
