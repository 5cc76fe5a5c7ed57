/** `describeFormula(cfg)`: the objective the trainer will optimise, e.g. "total = 5·rec + 1·kd + 1·zi + 5·zo_rec + 1·zo_kd". */
import { assertMethodConfig, type MethodConfig } from './config';

function num(x: number): string {
  return String(Number(x.toPrecision(4)));
}

function sum(terms: readonly (readonly [number, string])[]): string {
  return terms.map(([w, name]) => `${num(w)}·${name}`).join(' + ');
}

/** Weighted term list per optimiser step (one entry unless the method uses a multi-step update). */
export function formulaTerms(cfg: MethodConfig): (readonly [number, string])[][] {
  switch (cfg.kind) {
    case 'scratch':
      return [[[1, 'rec']]];
    case 'kd':
      return [[[cfg.recWeight, 'rec'], [cfg.kdWeight, 'kd']]];
    case 'fakd':
      return [[[cfg.recWeight, 'rec'], [cfg.kdWeight, 'kd'], [cfg.affinityWeight, 'aff']]];
    case 'dukd':
    case 'augkd': {
      const [rec, kd, zi, zoRec, zoKd] =
        cfg.kind === 'dukd'
          ? [cfg.recWeight, cfg.kdWeight, cfg.kdWeight, cfg.recWeight, cfg.kdWeight]
          : [cfg.recWeight, cfg.kdWeight, cfg.augkdWeight, cfg.zoomOutRecWeight, cfg.augkdWeight];
      const first: [number, string][] = [[rec, 'rec'], [kd, 'kd']];
      const second: [number, string][] = [
        ...(cfg.zoomIn ? [[zi, 'zi'] as [number, string]] : []),
        ...(cfg.zoomOut ? [[zoRec, 'zo_rec'], [zoKd, 'zo_kd']] as [number, string][] : []),
      ];
      return cfg.updateMode === 'twoStepAccumulate' && second.length > 0 ? [first, second] : [[...first, ...second]];
    }
    default: {
      const never: never = cfg;
      throw new Error(`unknown method kind ${JSON.stringify((never as { kind?: unknown }).kind)}`);
    }
  }
}

/** One line; two-step methods read "step 1: total = 5·rec + 1·kd; step 2 (gradients accumulate): total = 1·zi + ...". */
export function describeFormula(cfg: MethodConfig): string {
  assertMethodConfig(cfg);
  const groups = formulaTerms(cfg);
  if (groups.length === 1) return `total = ${sum(groups[0])}`;
  return groups
    .map((g, i) => `step ${i + 1}${i > 0 ? ' (gradients accumulate)' : ''}: total = ${sum(g)}`)
    .join('; ');
}
