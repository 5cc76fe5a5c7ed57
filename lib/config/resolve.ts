/**
 * `resolveTrain(over, base)`: merge overrides into a preset and validate. Errors name the bad key
 * and value, e.g. "optim.learningRate must be > 0 (got -1)"; unknown keys are rejected by name.
 */
import { assertMethodConfig, checkMethodInTrain, defaultMethodConfig, METHOD_KINDS, type MethodConfig, type MethodKind, methodSpec } from '../distill/methods';
import { assertArchConfig } from '../models/build';
import { archSpec } from '../models/archs/index';
import type { ArchConfig } from '../models/types';
import type { Scale } from '../types';
import { fail, int, isPlainObject, nullableString, positive, unit } from './checks';
import { PRESET_NAMES, PRESETS, type PresetName, trainPreset } from './presets';
import {
  DATA_KEYS, type DeepPartial, OPTIM_KEYS, TRAIN_DATA_KINDS, TRAIN_KEYS, type TrainConfig, VAL_KEYS, STUDENT_INIT_KEYS, DROP_PATH_KEYS, WARM_START_MODES,
} from './train';

/**
 * A fresh deep merge: plain objects merge key by key, anything else (arrays, null, numbers) in `over` replaces;
 * `undefined` in `over` is ignored. Neither argument is written.
 */
export function mergeDeep<T>(base: T, over: unknown): T {
  if (over === undefined) return clone(base);
  if (!isPlainObject(base) || !isPlainObject(over)) return clone(over) as T;
  const out: Record<string, unknown> = clone(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = k in out ? mergeDeep(out[k], v) : clone(v);
  }
  return out as T;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * `base` with `over` merged in, validated. A method override of another `kind` starts from that kind's defaults
 * for the student backbone and scale (then takes the override's keys); a student/teacher of another `arch`
 * replaces the whole backbone config.
 */
export function resolveTrain(over: DeepPartial<TrainConfig> | Record<string, unknown> = {}, base: TrainConfig = PRESETS.paper): TrainConfig {
  if (!isPlainObject(over)) throw new Error(`config overrides must be an object (got ${JSON.stringify(over)})`);
  const o = over as Record<string, unknown>;
  const b = clone(base) as unknown as Record<string, unknown>;
  for (const key of ['student', 'teacher'] as const) {
    const ov = o[key];
    const bv = b[key];
    if (isPlainObject(ov) && isPlainObject(bv) && ov.arch !== undefined && ov.arch !== bv.arch) b[key] = null; // replaced whole
  }
  const merged = mergeDeep(b, { ...o, method: undefined }) as Record<string, unknown>;
  const om = o.method;
  if (isPlainObject(om)) {
    const bm = b.method as Record<string, unknown>;
    if (om.kind !== undefined && om.kind !== bm.kind) {
      if (!(METHOD_KINDS as readonly unknown[]).includes(om.kind)) {
        throw new Error(`method.kind must be one of ${METHOD_KINDS.map((k) => `'${k}'`).join(', ')} (got ${JSON.stringify(om.kind)})`);
      }
      const student = merged.student as ArchConfig;
      let defaults: MethodConfig;
      try {
        defaults = defaultMethodConfig(om.kind as MethodKind, student, merged.scale as 2 | 3 | 4);
      } catch {
        defaults = { kind: om.kind } as MethodConfig; // bad student/scale: assertTrainConfig names it below
      }
      merged.method = mergeDeep(defaults, om);
    } else {
      merged.method = mergeDeep(bm, om);
    }
  } else if (om !== undefined) {
    merged.method = clone(om);
  }
  assertTrainConfig(merged);
  return merged;
}

// --- validation ---------------------------------------------------------------------------------------------

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new Error(`unknown key '${path ? `${path}.` : ''}${k}' (allowed: ${allowed.join(', ')})`);
    }
  }
  for (const k of allowed) {
    if (!(k in obj) || obj[k] === undefined) throw new Error(`${path ? `${path}.` : ''}${k} is missing`);
  }
}

function section(cfg: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = cfg[key];
  if (!isPlainObject(v)) fail(key, 'an object', v);
  return v;
}

const arch = (key: string, v: unknown): void => assertArchConfig(v, key);

/**
 * Throws an error naming the first bad key and its value; unknown and missing keys are errors too. Also checks
 * cross-key rules: a teacher for teacher-based methods, patch sizes the method can use, batch vs workers.
 */
export function assertTrainConfig(cfg: unknown): asserts cfg is TrainConfig {
  if (!isPlainObject(cfg)) fail('config', 'an object', cfg);
  onlyKeys(cfg, TRAIN_KEYS, '');
  const c = cfg;
  if (c.scale !== 2 && c.scale !== 3 && c.scale !== 4) fail('scale', 'one of 2, 3, 4', c.scale);
  arch('student', c.student);
  if (c.teacher !== null) arch('teacher', c.teacher);
  nullableString('teacherWeights', c.teacherWeights);
  if (c.studentInit !== null) {
    const init = section(c, 'studentInit');
    onlyKeys(init, STUDENT_INIT_KEYS, 'studentInit');
    if (typeof init.weights !== 'string' || init.weights.length === 0) fail('studentInit.weights', 'a non-empty string', init.weights);
    if (!(WARM_START_MODES as readonly unknown[]).includes(init.mode)) {
      fail('studentInit.mode', `one of ${WARM_START_MODES.map((m) => `'${m}'`).join(', ')}`, init.mode);
    }
  }
  if (c.dropPath !== null) {
    const dp = section(c, 'dropPath');
    onlyKeys(dp, DROP_PATH_KEYS, 'dropPath');
    for (const who of ['student', 'teacher'] as const) {
      const v = dp[who];
      if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(`dropPath.${who}`, 'a rate in [0, 1)', v);
      const net = (who === 'student' ? c.student : c.teacher) as ArchConfig | null;
      if (v > 0 && (net === null || archSpec(net).dropPath !== true)) {
        fail(`dropPath.${who}`, `0 (drop path needs a SwinIR ${who}; it is ${net?.arch ?? 'none'})`, v);
      }
    }
  }
  assertMethodConfig(c.method, 'method');
  const method = c.method as MethodConfig;
  if (methodSpec(method.kind).needsTeacher && c.teacher === null) {
    fail('teacher', `an ArchConfig (method '${method.kind}' distils from a teacher)`, c.teacher);
  }
  if (c.teacherWeights !== null && c.teacher === null) fail('teacherWeights', 'null when teacher is null', c.teacherWeights);

  const data = section(c, 'data');
  onlyKeys(data, DATA_KEYS, 'data');
  if (!(TRAIN_DATA_KINDS as readonly unknown[]).includes(data.kind)) fail('data.kind', `one of ${TRAIN_DATA_KINDS.map((k) => `'${k}'`).join(', ')}`, data.kind);
  nullableString('data.root', data.root);
  if (data.kind === 'folder' && data.root === null) fail('data.root', "a folder of HR images (data.kind is 'folder')", data.root);
  int('data.patchSizeLr', data.patchSizeLr, 1);
  int('data.batchSize', data.batchSize, 1);
  if (typeof data.augment !== 'boolean') fail('data.augment', 'true or false', data.augment);
  if (data.limit !== null) int('data.limit', data.limit, 1);
  checkMethodInTrain(method, {
    scale: c.scale as Scale, patchSizeLr: data.patchSizeLr as number, student: c.student as ArchConfig, teacher: c.teacher as ArchConfig | null,
    batchSize: data.batchSize as number, studentInit: c.studentInit !== null,
  });

  const optim = section(c, 'optim');
  onlyKeys(optim, OPTIM_KEYS, 'optim');
  positive('optim.learningRate', optim.learningRate);
  if (!Array.isArray(optim.betas) || optim.betas.length !== 2) fail('optim.betas', 'a pair [beta1, beta2]', optim.betas);
  (optim.betas as unknown[]).forEach((x, i) => unit(`optim.betas[${i}]`, x));
  positive('optim.eps', optim.eps);
  if (!Array.isArray(optim.milestones)) fail('optim.milestones', 'an array of step numbers', optim.milestones);
  (optim.milestones as unknown[]).forEach((m, i) => {
    int(`optim.milestones[${i}]`, m, 1);
    if (i > 0 && (m as number) <= ((optim.milestones as number[])[i - 1])) fail(`optim.milestones[${i}]`, `> optim.milestones[${i - 1}] (increasing)`, m);
  });
  positive('optim.gamma', optim.gamma);

  unit('emaDecay', c.emaDecay);
  int('totalSteps', c.totalSteps, 1);
  int('evalEverySteps', c.evalEverySteps, 0);
  int('checkpointEverySteps', c.checkpointEverySteps, 1);
  int('logEverySteps', c.logEverySteps, 1);
  int('keepCheckpoints', c.keepCheckpoints, 1);

  const val = section(c, 'val');
  onlyKeys(val, VAL_KEYS, 'val');
  if (!Array.isArray(val.sets)) fail('val.sets', "an array of set names ('synthetic', 'Set5', ...)", val.sets);
  (val.sets as unknown[]).forEach((x, i) => {
    if (typeof x !== 'string' || x.length === 0) fail(`val.sets[${i}]`, 'a set name or folder', x);
  });
  nullableString('val.root', val.root);
  if (val.limit !== null) int('val.limit', val.limit, 1);

  if (typeof c.seed !== 'number' || !Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff) fail('seed', 'an integer in [0, 2^32)', c.seed);
  if (c.workers !== null) {
    int('workers', c.workers, 1);
    if ((c.workers as number) > (data.batchSize as number)) fail('workers', `at most data.batchSize (${data.batchSize as number})`, c.workers);
  }
}

/**
 * Parses a JSON config file's text into a validated config. The file may name its base with a top-level
 * `"preset": "paper" | "quick" | "smoke"` (default `base`, i.e. paper); the preset's method weights then follow
 * the file's scale and method kind (`trainPreset`).
 */
export function parseTrainConfig(text: string, base: TrainConfig = PRESETS.paper, file = 'config'): TrainConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(raw)) throw new Error(`${file}: must hold a JSON object (got ${JSON.stringify(raw)})`);
  try {
    const { preset, ...rest } = raw;
    let b = base;
    if (preset !== undefined) {
      if (!(PRESET_NAMES as readonly unknown[]).includes(preset)) fail('preset', `one of ${PRESET_NAMES.join(', ')}`, preset);
      const m = isPlainObject(rest.method) ? rest.method.kind : undefined;
      const scale = rest.scale === 2 || rest.scale === 3 || rest.scale === 4 ? rest.scale : undefined;
      b = trainPreset(preset as PresetName, {
        scale,
        method: (METHOD_KINDS as readonly unknown[]).includes(m) ? (m as MethodKind) : undefined,
        student: isPlainObject(rest.student) && rest.student.arch !== undefined ? (rest.student as unknown as ArchConfig) : undefined,
        totalSteps: Number.isSafeInteger(rest.totalSteps) && (rest.totalSteps as number) >= 1 ? (rest.totalSteps as number) : undefined,
      });
    }
    return resolveTrain(rest, b);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}
