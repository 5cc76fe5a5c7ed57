/**
 * CSD's released models as Table 2 rows. DUKD-v2's x4 EDSR CSD row is CSD's released checkpoint (not retrained;
 * x2 and x3 are the DUKD authors' retraining, marked *): `edsr_x4_0.25student.pth` holds the shared EDSR 256x32,
 * whose first 64 channels are the student. The authors publish it only by hand download (`srkd weights download
 * csd-edsr-x4` says where); placed in the weights directory ($SRKD_WEIGHTS_DIR or ./weights), the main job scores
 * it as its CSD row instead of training one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCsdEdsr } from '../io/csd-checkpoint';
import { defaultWeightsDir, weightsEntry } from '../io/weights-download';
import { CSD_WIDTH_MULT, extractSlimEdsr } from '../models/csd-edsr';
import type { SRNet } from '../models/types';
import type { Scale } from '../types';

/** The released CSD checkpoint of `scale` in `dir` (default: the weights directory), or null when absent. */
export function releasedCsdFile(scale: Scale, dir: string = defaultWeightsDir()): string | null {
  const file = path.join(dir, weightsEntry(`csd-edsr-x${scale}`).file);
  return fs.existsSync(file) ? file : null;
}

/** The width-w student of a CSD checkpoint as an ordinary kit EDSR (the shared network is read, sliced, released). */
export function loadReleasedCsdStudent(file: string, widthMult: number = CSD_WIDTH_MULT): SRNet {
  const { net } = loadCsdEdsr(file);
  try {
    return extractSlimEdsr(net, widthMult);
  } finally {
    net.dispose();
  }
}
