/** `buildMethod(cfg)`: one case per MethodConfig kind; a new kind without a case does not compile. */
import { augKd } from './augkd';
import { assertMethodConfig, type MethodConfig } from './config';
import { dataUpcycling } from './dukd';
import { featureAffinityKd } from './fakd';
import type { DistillMethod } from './method';
import { responseKd } from './response-kd';
import { scratch } from './scratch';

function unreachable(cfg: never): never {
  throw new Error(`unknown method kind ${JSON.stringify((cfg as { kind?: unknown }).kind)}`);
}

/** Validates `cfg` (errors name the bad key) and builds its method. `cfg` is read, never written. */
export function buildMethod(cfg: MethodConfig): DistillMethod {
  assertMethodConfig(cfg);
  switch (cfg.kind) {
    case 'scratch':
      return scratch(cfg) as DistillMethod;
    case 'kd':
      return responseKd(cfg) as unknown as DistillMethod;
    case 'fakd':
      return featureAffinityKd(cfg) as unknown as DistillMethod;
    case 'dukd':
      return dataUpcycling(cfg) as unknown as DistillMethod;
    case 'augkd':
      return augKd(cfg) as unknown as DistillMethod;
    default:
      return unreachable(cfg);
  }
}
