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
import { archSpec } from '../models/archs/index';
import type { SRNet } from '../models/types';
import { GraphBuilder, type SymT } from './export-graph/builder';

/**
 * The net as a tf.LayersModel holding copies of its current weights (NHWC [0,1] RGB in, any H x W). The caller
 * owns the model (`model.dispose()`); the net is not modified.
 */
export function toLayersModel(net: SRNet): tf.LayersModel {
  const g = new GraphBuilder(net);
  const x = tf.input({ shape: [null, null, 3], name: 'lr', dtype: 'float32' });
  const y: SymT = archSpec(net.arch).exportGraph(g, x, net.arch, net.scale);
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
