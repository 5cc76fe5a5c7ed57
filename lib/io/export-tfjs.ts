/**
 * Exports a kit network (EDSR, RCAN, SwinIR) as a TF.js LayersModel: `model.json` (topology + weights manifest,
 * the standard tfjs "layers-model" format) and binary weight shards (4 MiB each, the browser-friendly size).
 * Plain @tensorflow/tfjs loads it once the custom layers are registered:
 *
 *   import * as tf from '@tensorflow/tfjs';
 *   import 'srkd/lib/io/tfjs-layers';                    // registers SrkdPixelShuffle, SrkdMeanShift, ...
 *   const model = await tf.loadLayersModel('https://host/dir/model.json');
 *   const sr = model.predict(lr) as tf.Tensor4D;         // NHWC RGB in [0,1] -> NHWC, `scale` times larger
 *
 * The graph mirrors the kit's forward pass op for op (same convs, same pixel-shuffle order, same mean shift), so
 * outputs agree with `net.forward(x).out` to float rounding. Input height/width are free (SwinIR pads to the
 * window size and crops back, like the kit).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { EdsrConfig, RcanConfig, SRNet, SwinIRConfig } from '../models/types';
import { upsampleFactors } from '../models/layers/upsample';
import { CropToScale, MeanShift, PixelShuffle, SWIN_LAYER_WEIGHTS, Scale, SwinLayer, WindowPad } from './tfjs-layers';

type SymT = tf.SymbolicTensor;

/** Builds layers and remembers which kit params fill each one. */
class GraphBuilder {
  readonly assignments: { layer: tf.layers.Layer; keys: string[] }[] = [];
  constructor(private readonly net: SRNet) {}

  /** Records that `layer`'s weights, in order, are the kit params `keys`. */
  bind(layer: tf.layers.Layer, keys: string[]): void {
    for (const k of keys) if (!this.net.params.has(k)) throw new Error(`exportTfjs: the net has no parameter '${k}'`);
    this.assignments.push({ layer, keys });
  }

  conv(x: SymT, key: string, activation?: 'relu' | 'sigmoid'): SymT {
    const w = this.net.params.get(`${key}.weight`);
    if (w === undefined) throw new Error(`exportTfjs: the net has no parameter '${key}.weight'`);
    const [k, , , filters] = w.shape;
    const layer = tf.layers.conv2d({
      name: key, filters, kernelSize: k, padding: k === 1 ? 'valid' : 'same', useBias: true, activation: activation ?? 'linear',
    });
    const y = layer.apply(x) as SymT;
    this.bind(layer, [`${key}.weight`, `${key}.bias`]);
    return y;
  }

  layerNorm(x: SymT, key: string): SymT {
    const layer = tf.layers.layerNormalization({ name: key, axis: -1, epsilon: 1e-5 });
    const y = layer.apply(x) as SymT;
    this.bind(layer, [`${key}.weight`, `${key}.bias`]);
    return y;
  }

  upsample(x: SymT, prefix: string, scale: number): SymT {
    let y = x;
    upsampleFactors(scale).forEach((r, i) => {
      y = new PixelShuffle({ name: `${prefix}.${2 * i + 1}`, factor: r }).apply(this.conv(y, `${prefix}.${2 * i}`)) as SymT;
    });
    return y;
  }

  /** Copies the kit weights into the built layers. */
  assign(): void {
    for (const { layer, keys } of this.assignments) layer.setWeights(keys.map((k) => this.net.params.get(k) as tf.Tensor));
  }
}

const add = (name: string, a: SymT, b: SymT): SymT => tf.layers.add({ name }).apply([a, b]) as SymT;

function edsrGraph(g: GraphBuilder, x: SymT, cfg: EdsrConfig, scale: number): SymT {
  const s = g.conv(new MeanShift({ name: 'sub_mean', mode: 'sub', imgRange: 255 }).apply(x) as SymT, 'conv_first');
  let h = s;
  for (let i = 0; i < cfg.blocks; i++) {
    let t = g.conv(g.conv(h, `body.${i}.conv1`, 'relu'), `body.${i}.conv2`);
    if (cfg.resScale !== 1) t = new Scale({ name: `body.${i}.res_scale`, factor: cfg.resScale }).apply(t) as SymT;
    h = add(`body.${i}.add`, h, t);
  }
  const r = add('body.add_skip', g.conv(h, 'conv_after_body'), s);
  const out = g.conv(g.upsample(r, 'upsample', scale), 'conv_last');
  return new MeanShift({ name: 'add_mean', mode: 'add', imgRange: 255 }).apply(out) as SymT;
}

function rcanGraph(g: GraphBuilder, x: SymT, cfg: RcanConfig, scale: number): SymT {
  const c = cfg.feats;
  const s = g.conv(new MeanShift({ name: 'sub_mean', mode: 'sub', imgRange: 255 }).apply(x) as SymT, 'conv_first');
  let h = s;
  for (let gi = 0; gi < cfg.groups; gi++) {
    let y = h;
    for (let b = 0; b < cfg.blocks; b++) {
      const k = `body.${gi}.residual_group.${b}.rcab`;
      const t = g.conv(g.conv(y, `${k}.0`, 'relu'), `${k}.2`);
      const pooled = tf.layers.globalAveragePooling2d({ name: `${k}.3.attention.0` }).apply(t) as SymT;
      const p4 = tf.layers.reshape({ name: `${k}.3.attention.0.reshape`, targetShape: [1, 1, c] }).apply(pooled) as SymT;
      const a = g.conv(g.conv(p4, `${k}.3.attention.1`, 'relu'), `${k}.3.attention.3`, 'sigmoid');
      let ta = tf.layers.multiply({ name: `${k}.3.multiply` }).apply([t, a]) as SymT;
      if (cfg.resScale !== 1) ta = new Scale({ name: `${k}.res_scale`, factor: cfg.resScale }).apply(ta) as SymT;
      y = add(`${k}.add`, y, ta);
    }
    h = add(`body.${gi}.add`, g.conv(y, `body.${gi}.conv`), h);
  }
  const r = add('body.add_skip', g.conv(h, 'conv_after_body'), s);
  const out = g.conv(g.upsample(r, 'upsample', scale), 'conv_last');
  return new MeanShift({ name: 'add_mean', mode: 'add', imgRange: 255 }).apply(out) as SymT;
}

function swinirGraph(g: GraphBuilder, x: SymT, cfg: SwinIRConfig, scale: number): SymT {
  const ws = cfg.windowSize;
  const shift = Math.floor(ws / 2);
  const hidden = Math.floor(cfg.embedDim * cfg.mlpRatio);
  const xp = new WindowPad({ name: 'window_pad', multiple: ws }).apply(x) as SymT;
  const s = g.conv(new MeanShift({ name: 'sub_mean', mode: 'sub', imgRange: 1 }).apply(xp) as SymT, 'conv_first');
  let h = g.layerNorm(s, 'patch_embed.norm');
  cfg.depths.forEach((depth, k) => {
    let y = h;
    for (let d = 0; d < depth; d++) {
      const key = `layers.${k}.residual_group.blocks.${d}`;
      const layer = new SwinLayer({
        name: key, dim: cfg.embedDim, heads: cfg.heads[k], windowSize: ws, shift: d % 2 === 1 ? shift : 0, hidden,
      });
      y = layer.apply(y) as SymT;
      g.bind(layer, SWIN_LAYER_WEIGHTS.map((w) => `${key}.${w}`)); // SwinLayer creates its weights in this order
    }
    h = add(`layers.${k}.add`, g.conv(y, `layers.${k}.conv`), h);
  });
  const r = add('body.add_skip', g.conv(g.layerNorm(h, 'norm'), 'conv_after_body'), s);
  let out: SymT;
  if (cfg.upsampler === 'pixelshuffle') {
    const before = tf.layers.leakyReLU({ name: 'conv_before_upsample.1', alpha: 0.01 }).apply(g.conv(r, 'conv_before_upsample.0')) as SymT;
    out = g.conv(g.upsample(before, 'upsample', scale), 'conv_last');
  } else {
    out = new PixelShuffle({ name: 'upsample.1', factor: scale }).apply(g.conv(r, 'upsample.0')) as SymT;
  }
  const y = new MeanShift({ name: 'add_mean', mode: 'add', imgRange: 1 }).apply(out) as SymT;
  return new CropToScale({ name: 'crop', scale }).apply([y, x]) as SymT;
}

/**
 * The net as a tf.LayersModel holding copies of its current weights (NHWC [0,1] RGB in, any H x W). The caller
 * owns the model (`model.dispose()`); the net is not modified.
 */
export function toLayersModel(net: SRNet): tf.LayersModel {
  const g = new GraphBuilder(net);
  const x = tf.input({ shape: [null, null, 3], name: 'lr', dtype: 'float32' });
  let y: SymT;
  switch (net.arch.arch) {
    case 'edsr': y = edsrGraph(g, x, net.arch, net.scale); break;
    case 'rcan': y = rcanGraph(g, x, net.arch, net.scale); break;
    case 'swinir': y = swinirGraph(g, x, net.arch, net.scale); break;
  }
  const model = tf.model({ inputs: x, outputs: y, name: `srkd_${net.arch.arch}_x${net.scale}` });
  try {
    g.assign();
    const covered = new Set(g.assignments.flatMap((a) => a.keys));
    const left = [...net.params.keys()].filter((k) => !covered.has(k));
    if (left.length) throw new Error(`exportTfjs: parameters not placed in the graph: ${left.join(', ')}`);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

export const TFJS_SHARD_BYTES = 4 * 1024 * 1024;

export interface ExportTfjsResult {
  readonly dir: string;
  readonly files: readonly string[];
  readonly weightBytes: number;
}

/**
 * Writes `dir/model.json` and `dir/group1-shard{i}of{n}.bin`. Files are written under temporary names and
 * renamed, model.json last, so a reader never sees a manifest without its shards.
 */
export async function exportTfjs(net: SRNet, dir: string, opts: { readonly shardBytes?: number } = {}): Promise<ExportTfjsResult> {
  const model = toLayersModel(net);
  const shardBytes = opts.shardBytes ?? TFJS_SHARD_BYTES;
  try {
    let result: ExportTfjsResult | null = null;
    await model.save(tf.io.withSaveHandler(async (art) => {
      const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(art.weightData ?? new ArrayBuffer(0)));
      const n = Math.max(1, Math.ceil(data.length / shardBytes));
      const paths = Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
      fs.mkdirSync(dir, { recursive: true });
      const tmpSuffix = `.tmp-${process.pid}`;
      const written: string[] = [];
      try {
        paths.forEach((p, i) => {
          const f = path.join(dir, p + tmpSuffix);
          fs.writeFileSync(f, data.subarray(i * shardBytes, Math.min(data.length, (i + 1) * shardBytes)));
          written.push(f);
        });
        const modelJson = {
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
          convertedBy: 'srkd export-tfjs',
          modelTopology: art.modelTopology,
          weightsManifest: [{ paths, weights: art.weightSpecs }],
          userDefinedMetadata: {
            srkd: {
              arch: net.arch, scale: net.scale, input: 'NHWC float32 RGB in [0,1]', output: 'NHWC, scale x larger, unclamped',
              customLayers: 'import lib/io/tfjs-layers before tf.loadLayersModel',
            },
          },
        };
        const mj = path.join(dir, 'model.json' + tmpSuffix);
        fs.writeFileSync(mj, JSON.stringify(modelJson));
        written.push(mj);
        paths.forEach((p) => fs.renameSync(path.join(dir, p + tmpSuffix), path.join(dir, p)));
        fs.renameSync(mj, path.join(dir, 'model.json'));
      } catch (err) {
        for (const f of written) fs.rmSync(f, { force: true });
        throw err;
      }
      result = { dir, files: ['model.json', ...paths], weightBytes: data.length };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.length } };
    }));
    if (result === null) throw new Error('exportTfjs: the save handler did not run');
    return result;
  } finally {
    model.dispose();
  }
}

/** A Node IOHandler reading an exported directory (for tests and Node users; browsers use a URL). */
export function tfjsDirLoader(dir: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const file = path.join(dir, 'model.json');
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as tf.io.ModelJSON;
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
        weightSpecs: specs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.length),
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}
