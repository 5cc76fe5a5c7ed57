/** Loads a golden-vector file from the repository's copy of the spec vectors (test/fixtures/spec/vectors). */
import * as fs from 'fs';
import { sharedPath } from '../shared';

export function loadVector<T = unknown>(name: string): T {
  return JSON.parse(fs.readFileSync(sharedPath('spec', 'vectors', name), 'utf8')) as T;
}
