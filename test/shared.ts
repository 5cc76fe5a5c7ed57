import * as path from 'node:path';

/**
 * The test data that travels with the repository (test/fixtures): real Set5/Set14 images, RCAN's published
 * outputs, tiny PyTorch checkpoints and golden vectors, byte-identical copies of the project's shared spec
 * data in its layout (`data/...`, `spec/vectors/...`). Provenance, terms and SHA-256 of every file:
 * test/fixtures/README.md (checked by test/fixtures.test.ts).
 */
export const SHARED_DIR = path.resolve(__dirname, 'fixtures');
export const sharedPath = (...parts: string[]): string => path.join(SHARED_DIR, ...parts);
