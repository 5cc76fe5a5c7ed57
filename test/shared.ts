import * as path from 'node:path';

/** The read-only ../shared folder (real images, checkpoints, golden vectors); SRKD_SHARED overrides. */
export const SHARED_DIR = process.env.SRKD_SHARED ?? path.resolve(process.cwd(), '../shared');
export const sharedPath = (...parts: string[]): string => path.join(SHARED_DIR, ...parts);
