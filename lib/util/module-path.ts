import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Absolute path of a kit module that worker threads load by file name. Prefers the `.ts` source and
 * falls back to `.js` (a compiled kit): `__filename`'s extension cannot tell, because tslab reports
 * `.js` for the TypeScript it compiles in memory.
 */
export function kitModulePath(dir: string, name: string): string {
  const ts = path.join(dir, `${name}.ts`);
  return fs.existsSync(ts) ? ts : path.join(dir, `${name}.js`);
}
