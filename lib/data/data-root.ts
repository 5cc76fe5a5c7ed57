import * as path from 'node:path';

/** Default data root: env SRKD_DATA, else `data/` under the working directory (git-ignored). */
export function defaultDataRoot(): string {
  return path.resolve(process.env.SRKD_DATA || 'data');
}
