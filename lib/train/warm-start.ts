/**
 * Student warm start: DUKD's code starts every EDSR x4 student from the x2 student of
 * the same method (`pretrain_network_g: ...x2...pth`, `strict_load_g: false`). Two modes:
 *  - 'all-but-upsampler' (the kit's default: the x4 upsampler has other shapes, so it starts fresh): every parameter outside the upsampler is copied
 *    (all of them must match in name and shape, else an error lists the misfits); the upsampler (`upsample.*`)
 *    keeps its fresh initialisation;
 *  - 'all-matching' (the official code: BasicSR's non-strict load): every parameter whose name and shape
 *    match is copied, which at x2 -> x4 includes the first upsampling conv (`upsample.0`, same shape).
 * Sources: a kit model directory, a finished run directory (its `model/`), or a PyTorch checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import type { StudentInitConfig } from '../config/train';
import { readModelFile } from '../io/model-file';
import { loadPretrained } from '../io/pretrained';
import type { SRNet } from '../models/types';
import { resolveWeightsSource } from '../io/weights-source';


export interface WarmStartReport {
  readonly file: string;
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
export function warmStartStudent(net: SRNet, init: StudentInitConfig): WarmStartReport {
  const src = resolveWeightsSource(init.weights, 'studentInit.weights');
  const skipUpsampler = init.mode === 'all-but-upsampler';
  const kept: Array<WarmStartReport['kept'][number]> = [];
  const loaded: string[] = [];
  // A PyTorch checkpoint goes through the checkpoint reader and its weight maps (assigning as it goes, so a
  // misfit below leaves the net partly loaded: callers discard it); a kit model is checked before assigning.
  let assign = (): void => {};
  if (src.kind === 'pytorch') {
    const r = loadPretrained(net, src.path, { strict: false, skip: skipUpsampler ? isUpsamplerKey : undefined });
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
  return { file: src.path, loaded, kept };
}

/** One line for logs, e.g. "student init: 68/72 tensors from runs/x2/model; fresh: upsample.0.weight (upsampler), ...". */
export function formatWarmStart(r: WarmStartReport): string {
  const total = r.loaded.length + r.kept.length;
  const fresh = r.kept.map((k) => `${k.key} (${k.why})`);
  return `student init: ${r.loaded.length}/${total} tensors from ${r.file}${fresh.length ? `; fresh: ${fresh.join(', ')}` : ''}`;
}
