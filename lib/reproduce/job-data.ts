/**
 * What a reproduction job's `data` names, and the datasets it trains and is scored on:
 *  - nothing: the embedded synthetic set (train split; held out: its valid split);
 *  - a DIV2K root (it holds `DIV2K_train_HR`): DIV2K train; held out: the benchmark sets under the same root;
 *  - any other folder of HR photos (the `folder` layout): the photos in name order, the last tenth of them
 *    (at least one) held out and never trained on; held out: those photos, plus the benchmark sets found under
 *    $SRKD_DATA (or ./data) when present. LR images are made with the MATLAB-exact bicubic and cached.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultDataRoot } from '../data/data-root';
import { listImages, openDataset, type Dataset } from '../data/datasets';
import type { Scale } from '../types';

export type JobDataLayout =
  | { readonly kind: 'synthetic' }
  | { readonly kind: 'div2k'; readonly root: string }
  | {
    readonly kind: 'folder'; readonly root: string;
    /** Photos in the folder, of which the first `train` are trained on and the last `heldOut` scored. */
    readonly images: number; readonly train: number; readonly heldOut: number;
    /** Where benchmark sets are looked for (they are used when present). */
    readonly benchmarkRoot: string;
  };

/** Photos held out of a folder of `n`: a tenth, at least 1, at most 100. */
export function folderHeldOutCount(n: number): number {
  return Math.min(100, Math.max(1, Math.round(n / 10)));
}

/** The layout of `data` (see the file comment); errors name the folder and what was expected in it. */
export function jobDataLayout(data: string | null | undefined): JobDataLayout {
  if (!data) return { kind: 'synthetic' };
  const root = path.resolve(data);
  if (!fs.existsSync(root)) throw new Error(`data: folder ${root} does not exist`);
  if (fs.existsSync(path.join(root, 'DIV2K_train_HR'))) return { kind: 'div2k', root };
  let images: number;
  try {
    images = listImages(root, 'data').length;
  } catch {
    throw new Error(`data: ${root} holds neither DIV2K_train_HR (a DIV2K root) nor images (a folder of HR photos)`);
  }
  if (images < 2) throw new Error(`data: the photo folder ${root} needs at least 2 images (one to train on, one held out); it has ${images}`);
  const heldOut = folderHeldOutCount(images);
  return { kind: 'folder', root, images, train: images - heldOut, heldOut, benchmarkRoot: defaultDataRoot() };
}

/** The training images of a layout (what the students are fitted on). */
export function trainDataset(layout: JobDataLayout, scale: Scale): Dataset {
  switch (layout.kind) {
    case 'synthetic':
      return openDataset({ kind: 'synthetic', scale, split: 'train' });
    case 'div2k':
      return openDataset({ kind: 'div2k', root: layout.root, scale, split: 'train' });
    case 'folder':
      return openDataset({ kind: 'folder', root: layout.root, scale, limit: layout.train });
  }
}

/** The held-out photos of a folder layout as a dataset named `<folder>-held-out`. */
export function folderHeldOut(layout: Extract<JobDataLayout, { kind: 'folder' }>, scale: Scale): { name: string; dataset: Dataset } {
  const all = openDataset({ kind: 'folder', root: layout.root, scale });
  const name = `${path.basename(layout.root)}-held-out`;
  return { name, dataset: { ...all, id: `folder:${name}-x${scale}`, split: 'valid', pairs: all.pairs.slice(layout.train) } };
}
