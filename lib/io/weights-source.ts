/**
 * Where a training run takes weights from (its teacher, or a student warm start): a kit model directory, a
 * finished run directory (its `model/`), or any other file as a PyTorch checkpoint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODEL_JSON } from './model-file';

/** Resolves `file` to its kind and path; `key` names the config key in errors. */
export function resolveWeightsSource(file: string, key = 'teacherWeights'): { kind: 'srkd-model' | 'pytorch'; path: string } {
  const p = path.resolve(file);
  if (!fs.existsSync(p)) throw new Error(`${key}: ${p} does not exist`);
  if (fs.statSync(p).isDirectory()) {
    if (fs.existsSync(path.join(p, MODEL_JSON))) return { kind: 'srkd-model', path: p };
    if (fs.existsSync(path.join(p, 'model', MODEL_JSON))) return { kind: 'srkd-model', path: path.join(p, 'model') };
    throw new Error(`${key}: ${p} is a directory without ${MODEL_JSON} (nor model/${MODEL_JSON} of a finished run)`);
  }
  if (path.basename(p) === MODEL_JSON) return { kind: 'srkd-model', path: path.dirname(p) };
  return { kind: 'pytorch', path: p };
}

