/**
 * A stable hash of a training config, and the run id built from it:
 * `<yyyymmdd>-<method>-<arch>x<scale>-<hash8>`, e.g. `20260121-dukd-edsrx4-1a2b3c4d`.
 *
 * The hash covers only what can change the loss trajectory: cadence of logs/checkpoints/validation, the
 * validation sets, the step budget and the worker count are left out (`NON_TRAJECTORY_KEYS`), so a run can be
 * continued with more steps or other validation sets, and resumed on another machine. Key order never matters.
 */
import { createHash } from 'node:crypto';
import type { TrainConfig } from './train';

/** Top-level keys outside the hash: changing them on resume is allowed (and logged). */
export const NON_TRAJECTORY_KEYS: readonly (keyof TrainConfig)[] = [
  'totalSteps', 'evalEverySteps', 'checkpointEverySteps', 'logEverySteps', 'keepCheckpoints', 'val', 'workers',
];

/** Keys added after runs existed: hashed only when set, so the ids of runs made before them stay valid. */
const HASHED_WHEN_SET: readonly (keyof TrainConfig)[] = ['studentInit', 'dropPath'];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with object keys sorted at every level (`undefined` members dropped, as JSON.stringify does). */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    isPlainObject(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x);
}

/** The part of the config the hash covers. */
export function trajectoryPart(cfg: TrainConfig): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if ((NON_TRAJECTORY_KEYS as readonly string[]).includes(k)) continue;
    if ((HASHED_WHEN_SET as readonly string[]).includes(k) && v === null) continue;
    out[k] = v;
  }
  return out as Partial<TrainConfig>;
}

/** SHA-256 (hex) of the canonical JSON of the trajectory part. */
export function configHash(cfg: TrainConfig): string {
  return createHash('sha256').update(canonicalJson(trajectoryPart(cfg))).digest('hex');
}

/** `yyyymmdd` in UTC. */
export function dateStamp(date: Date = new Date()): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`;
}

/** The date-independent tail of a run id: `<method>-<arch>x<scale>-<hash8>`. */
export function runIdSuffix(cfg: TrainConfig): string {
  return `${cfg.method.kind}-${cfg.student.arch}x${cfg.scale}-${configHash(cfg).slice(0, 8)}`;
}

/** `<yyyymmdd>-<method>-<arch>x<scale>-<hash8>`. */
export function runId(cfg: TrainConfig, date: Date = new Date()): string {
  return `${dateStamp(date)}-${runIdSuffix(cfg)}`;
}
