/**
 * The public surface for notebooks and scripts: re-exports only.
 * Import it as `import * as kit from './lib/index'` (tslab needs the file, not the directory).
 */
export type { Scale, SRBatch, ImageBatch, TapName, RunId } from './types';
export { Rng } from './util/rng';

// backend and speed
export { initBackend, describeBackend, backendInfo, type BackendInfo, type BackendName } from './backend/index';
export { checkKernelsAgainstCpu, type KernelCheckRow } from './backend/gradient-check';
export { runBenchmarks, type BenchRow } from './bench/index';
export { DataParallelTrainer } from './parallel/data-parallel';

// notebooks, plots, tables
export { notebookSetup, show, progressLine, type NotebookHelpers, type Showable } from './notebook/setup';
export * as viz from './viz/index';

// models and weights
export type { ArchConfig, SRNet } from './models/types';
export { buildModel } from './models/build';
export { ZOO, ZOO_NAMES, zooArch, type ZooName } from './models/zoo';
export { analyticComplexity, countParams } from './models/complexity';
export { loadPretrained, inferArchFromCheckpoint, formatLoadReport } from './io/pretrained';
export { saveModel, loadModel } from './io/model-file';
export { exportTfjs } from './io/export-tfjs';
export { readTorchCheckpoint, stateDict } from './io/torch/checkpoint';

// data, metrics, evaluation
export type { RgbImage } from './data/image';
export { imageToTensor, tensorToImage } from './data/image';
export { readImage, readImageTensor, writePng, encodePng } from './data/decode';
export { imresizeUint8, imresizeTensor, modCrop } from './data/bicubic';
export { openDataset, defaultDataRoot, type Dataset, type DatasetSpec } from './data/datasets';
export { syntheticDataset, syntheticHr } from './data/synthetic';
export { BatchStream } from './data/batches';
export { psnrY } from './metrics/psnr';
export { ssimY } from './metrics/ssim';
export { PAPER_Y, describeProtocol, scorePair, type EvalProtocol } from './metrics/protocol';
export { evaluate, evaluateOutputs, toCsv, type EvalResult, type EvalRow } from './eval/evaluate';
export { upscaleTiled } from './eval/tiled';

// configs, training, runs
export type { TrainConfig, DeepPartial } from './config/train';
export { PRESETS, PRESET_NAMES, trainPreset, type PresetName } from './config/presets';
export { resolveTrain, parseTrainConfig, assertTrainConfig } from './config/resolve';
export { configHash, runId } from './config/hash';
export { diffConfigs, formatChanges } from './config/diff';
export { train, type TrainOptions, type TrainProgressEvent } from './train/trainer';
export { Run, openRun, type RunResults } from './train/run';

// distillation methods
export type { MethodConfig } from './distill/config';
export { defaultMethodConfig, methodPreset, METHOD_SMOKE_CONFIGS } from './distill/config';
export { buildMethod } from './distill/build';
export { describeFormula } from './distill/formula';
export { l1 } from './losses/pixel';
export { affinityL1 } from './losses/affinity';
export { applyAug, invertAug, sampleAugFlags, allAugFlags } from './augment/invertible';
