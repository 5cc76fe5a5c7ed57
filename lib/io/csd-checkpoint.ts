/**
 * Loads a CSD checkpoint (the shared full-width EDSR in CSD's layout: a bare state dict, or the training
 * checkpoint `{ epoch, model_state_dict, optimizer_state_dict, best_psnr, ... }` CSD's trainer writes, keys with
 * DataParallel's `module.` prefix) into a full-width kit EDSR. The width-w student then comes from
 * lib/models/csd-edsr.ts (`slimEdsrForward` for training, `extractSlimEdsr` for a standalone model).
 * res_scale leaves no trace in the weights: CSD's EDSR 256x32 (and the fixtures) use 0.1, the default here.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel, assertScale } from '../models/build';
import { upsampleFactors } from '../models/layers/upsample';
import type { EdsrConfig, SRNet } from '../models/types';
import type { Scale } from '../types';
import { TorchCheckpointError, findStateDict, readTorchCheckpoint, stateDict } from './torch/checkpoint';
import type { KitWeights } from './weight-maps/basicsr';
import { isCsdEdsrKeys, mapCsdEdsr } from './weight-maps/csd-edsr';

export interface CsdLoadReport {
  readonly file: string;
  readonly format: 'zip' | 'legacy';
  readonly statePath: readonly string[];
  readonly arch: EdsrConfig;
  readonly scale: Scale;
  /** Checkpoint keys checked and dropped (mean shifts). */
  readonly dropped: readonly string[];
  readonly foreignGlobals: readonly string[];
}

const PREFER = ['model_state_dict', 'state_dict', 'model', 'params'];

function inferScale(w: KitWeights, feats: number, file: string): Scale {
  let scale = 1;
  for (let i = 0; ; i += 2) {
    const t = w[`upsample.${i}.weight`];
    if (t === undefined) break;
    const r = Math.sqrt(t.shape[3] / feats);
    if (!Number.isInteger(r)) throw new TorchCheckpointError(file, `upsampler.blocks.${i / 2} has ${t.shape[3]} outputs for ${feats} features (not r*r*C)`);
    scale *= r;
  }
  try {
    assertScale(scale);
  } catch {
    throw new TorchCheckpointError(file, `the upsampler gives x${scale}; CSD checkpoints are x2, x3 or x4`);
  }
  if (upsampleFactors(scale).length !== Object.keys(w).filter((k) => /^upsample\.\d+\.weight$/.test(k)).length) {
    throw new TorchCheckpointError(file, `x${scale} upsampler stages do not match the kit's EDSR layout`);
  }
  return scale as Scale;
}

/** The shared full-width EDSR of a CSD checkpoint. The caller owns `net`. */
export function loadCsdEdsr(file: string, opts: { readonly resScale?: number } = {}): { net: SRNet; report: CsdLoadReport } {
  const ckpt = readTorchCheckpoint(file, { unknownGlobals: 'opaque' });
  const found = findStateDict(ckpt, { prefer: PREFER });
  const sd = stateDict(ckpt, { prefer: PREFER });
  if (!isCsdEdsrKeys(Object.keys(sd))) {
    throw new TorchCheckpointError(file, `not a CSD EDSR state dict (expected head, body.N.conv1/2, body_conv, upsampler.blocks.N, tail_conv; first keys: ${Object.keys(sd).slice(0, 5).join(', ')})`);
  }
  let mapped;
  try {
    mapped = mapCsdEdsr(sd, file);
  } catch (err) {
    throw new TorchCheckpointError(file, (err as Error).message.replace(`${file}: `, ''), { cause: err });
  }
  const w = mapped.weights;
  const feats = w['conv_first.weight'].shape[3];
  let blocks = 0;
  while (w[`body.${blocks}.conv1.weight`] !== undefined) blocks++;
  const arch: EdsrConfig = { arch: 'edsr', feats, blocks, resScale: opts.resScale ?? 0.1 };
  const scale = inferScale(w, feats, file);
  const net = buildModel(arch, scale);
  try {
    const keys = [...net.params.keys()];
    const unexpected = Object.keys(w).filter((k) => !net.params.has(k));
    const missing = keys.filter((k) => w[k] === undefined);
    const wrong = keys.filter((k) => w[k] !== undefined && w[k].shape.join() !== net.params.get(k)?.shape.join());
    if (unexpected.length || missing.length || wrong.length) {
      throw new TorchCheckpointError(file, `does not fit EDSR C${feats} B${blocks} x${scale}: missing [${missing.join(', ')}], ` +
        `unexpected [${unexpected.join(', ')}], wrong shape [${wrong.join(', ')}]`);
    }
    tf.tidy(() => {
      for (const [k, v] of net.params) v.assign(tf.tensor(w[k].data, w[k].shape, 'float32'));
    });
  } catch (e) {
    net.dispose();
    throw e;
  }
  return {
    net,
    report: { file, format: ckpt.format, statePath: found.path, arch, scale, dropped: mapped.dropped, foreignGlobals: ckpt.foreignGlobals },
  };
}
