/**
 * The public surface for notebooks and scripts: re-exports only.
 * Import it as `import * as kit from './lib/index'` (tslab needs the file, not the directory).
 */
export type { Scale, SRBatch, ImageBatch, TapName, RunId } from './types';
export { Rng } from './util/rng';

// backend and speed
export { initBackend, describeBackend, backendInfo, type BackendInfo, type BackendName } from './backend/index';
export { checkKernelsAgainstCpu, type KernelCheckRow } from './backend/gradient-check';
export { simdBuild, useRelaxedSimd, type SimdBuild } from './backend/simd/index';
export { runBenchmarks, type BenchRow } from './bench/index';
export { benchKernels, type KernelBenchRow } from './bench/kernels';
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
export { warmStartStudent, formatWarmStart, type WarmStartReport } from './train/warm-start';

// distillation methods
export type { MethodConfig } from './distill/config';
export { defaultMethodConfig, methodPreset, METHOD_SMOKE_CONFIGS } from './distill/config';
export { buildMethod } from './distill/build';
export { describeFormula } from './distill/formula';
export { l1 } from './losses/pixel';
export { affinityL1 } from './losses/affinity';
export { applyAug, invertAug, sampleAugFlags, allAugFlags } from './augment/invertible';

// --- notebooks 01-04 (losses, upcycling, invertible augmentations, model statistics) ---
export { imageGrid, toRgbImages, exampleDataset, centreCrop, centreCropPair, type GridImage, type ImageGridOptions } from './viz/images';
export { augLabel, roundTripRows, equivarianceRows, type RoundTripRow, type EquivarianceRow } from './reproduce/equivariance';
export { legacyInverseIsWrong, IDENTITY_AUG, AUG_FORWARD_ORDER, type AugFlags } from './augment/invertible';
export { cutTiles, drawCells } from './distill/dukd';
export { fullBatchContext } from './distill/method';
export { cropImage, imagesToTensor, tensorToImages } from './data/image';
export { TABLE1_MODELS, modelStatsRows, measureFps, type ModelStatsRow } from './cli/commands/model-stats';
// --- end notebooks 01-04 ---

// --- reproduce: DUKD Tables 2-4 as jobs, paper numbers, teacher-student agreement, reports ---
export {
  TABLE2, TABLE3, TABLE4, AUGKD_NUMBERS, ABLATION_ROWS, PAPER_SETS, table2Row, table3Row, table4Row, paperCell, paperAgreement,
  type AblationRow, type PaperCell, type PaperSet, type Table2Row, type Table3Row, type Table4Row, type AugkdNumber,
} from './reproduce/paper-numbers';
export { ensureTeacher, teacherConfig, TEACHER_STEP_FACTOR, type TeacherInfo, type EnsureTeacherOptions } from './reproduce/teacher';
export { backbonePair, ablationPair, rowConfig, REPRODUCE_PRESETS, type ReproducePreset, type Backbone } from './reproduce/job-config';
export { runJob, type JobResult, type ReproduceRow, type RunSummary, type AgreementRow, type JobEvent, type ReproduceOptions } from './reproduce/job';
export { reproduceAblation, ablationRows, ABLATION_METHODS, type AblationOptions } from './reproduce/ablation';
export { reproduceMainComparison, mainComparisonRows, type MainComparisonOptions } from './reproduce/main-comparison';
export { reproduceHeterogeneous, heterogeneousRows, type HeterogeneousOptions } from './reproduce/heterogeneous';
export { heldOutSets, scoreHeldOut, type HeldOutScore } from './reproduce/held-out';
export { AgreementProbe, teacherStudentAgreement, type AgreementScore } from './reproduce/agreement';
export { writeReport, reportFigures, comparisonTable, primaryRows, reportId } from './reproduce/report';
// --- end reproduce ---

// --- seeds: statistics over seeds, error bars ---
export { studentTQuantile, studentTCdf } from './stats/student-t';
export { summarize, pairedDifference, meanCi, verdictOf, type SeedSummary, type SeedValue, type PairedDifference, type Verdict } from './stats/seed-stats';
export { rowSeedStats, agreementStats, seedComparisonTable, seedsOf, hasSeedSpread, formatMeanSd, formatDifference, type RowSeedStats, type AgreementStats } from './reproduce/seed-table';
export { resolveSeeds, parseSeedList } from './reproduce/seeds';
// --- end seeds ---

// --- notebooks 05-10 (Table 2-4, Figures 4-6, AugKD) ---
export { gainVsParams, gainVsParamsFigure, ourGainPoints, paperGainPoints, type GainPoint, type GainVsParamsOptions } from './reproduce/gain-vs-params';
export { cropMontage, cropScores, pickCrops, upscaleImage, type CropBox, type CropScore, type CropMontage, type CropMontageOptions } from './viz/crops';
export type { RowSpec } from './reproduce/job';
// --- end notebooks 05-10 ---
