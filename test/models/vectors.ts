/** Loads the shared spec vectors (../shared/spec/vectors relative to the repository root). */
import * as fs from 'fs';
import * as path from 'path';

export function loadVector<T = unknown>(name: string): T {
  const file = path.resolve(__dirname, '../../../shared/spec/vectors', name);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
