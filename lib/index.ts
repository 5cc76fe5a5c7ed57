/**
 * The public surface for notebooks and scripts: re-exports only, grouped by concept.
 * Import it as `import * as kit from './lib/index'` (tslab needs the file, not the directory).
 */

// --- basics -----------------------------------------------------------------------------------------------
export type { Scale, SRBatch, ImageBatch, TapName, RunId } from './types';
export { Rng } from './util/rng';

// --- backends, step engines, speed ----------------------------------------------------------------------
export { initBackend, describeBackend, backendInfo, type BackendInfo, type BackendName } from './backend/index';
export { checkKernelsAgainstCpu, type KernelCheckRow } from './backend/gradient-check';
export { assertBackboneKernels, backboneKernels, missingKernels, recordKernels } from './backend/kernel-check';
export { gpuBufferCounts, type GpuBufferCounts, type WebgpuAdapter } from './backend/webgpu';
export { simdBuild, useRelaxedSimd, type SimdBuild } from './backend/simd/index';
export { resolveEngine, ENGINE_CHOICES, type StepEngine, type EngineChoice, type EngineKind } from './train/step-engine';
export { InProcessEngine } from './train/in-process-engine';
export { WorkerPoolEngine } from './train/worker-pool-engine';
export { DataParallelTrainer } from './parallel/data-parallel';
export { runBenchmarks, type BenchRow } from './bench/index';
export { benchKernels, type KernelBenchRow } from './bench/kernels';

// --- backbones (one ArchSpec record each), complexity, DUKD Table 1 ------------------------------------
export type { ArchConfig, SRNet } from './models/types';
export type { ArchSpec } from './models/arch-spec';
export { ARCHS, ARCH_NAMES, archSpec, analyticComplexity, analyticMacs, analyticParams, type ArchName } from './models/archs/index';
export { buildModel } from './models/build';
export { countParams } from './models/complexity';
export { ZOO, ZOO_NAMES, zooArch, type ZooName } from './models/zoo';
export { TABLE1_MODELS, modelStatsRows, measureFps, formatModelStats, type ModelStatsRow } from './models/table1';

// --- weights and checkpoints ----------------------------------------------------------------------------
export { loadPretrained, inferArchFromCheckpoint, formatLoadReport } from './io/pretrained';
export { saveModel, loadModel } from './io/model-file';
export { exportTfjs } from './io/export-tfjs';
export { readTorchCheckpoint, stateDict } from './io/torch/checkpoint';

// --- images and datasets --------------------------------------------------------------------------------
export type { RgbImage } from './data/image';
export { imageToTensor, tensorToImage, cropImage, imagesToTensor, tensorToImages } from './data/image';
export { readImage, readImageTensor, writePng, encodePng } from './data/decode';
export { imresizeUint8, imresizeTensor, modCrop } from './data/bicubic';
export { openDataset, defaultDataRoot, type Dataset, type DatasetSpec } from './data/datasets';
export { syntheticDataset, syntheticHr } from './data/synthetic';
export { BatchStream } from './data/batches';

// --- invertible augmentations (DUKD's label-consistent augmentation) ------------------------------------
export { applyAug, invertAug, sampleAugFlags, allAugFlags, legacyInverseIsWrong, IDENTITY_AUG, AUG_FORWARD_ORDER, type AugFlags } from './augment/invertible';
export { augLabel, roundTripRows, equivarianceRows, type RoundTripRow, type EquivarianceRow } from './reproduce/equivariance';
export {
  colorInversionRows, roundTripProblems, roundTripTolerance, legacyBugShare, augmentPaperRows, equivarianceFigure,
  type ColorInversionRow, type LegacyBugShare,
} from './reproduce/augment-checks';

// --- metrics and evaluation -----------------------------------------------------------------------------
export { psnrY } from './metrics/psnr';
export { ssimY } from './metrics/ssim';
export { PAPER_Y, describeProtocol, scorePair, type EvalProtocol } from './metrics/protocol';
export { evaluate, evaluateOutputs, toCsv, type EvalResult, type EvalRow } from './eval/evaluate';
export { upscaleTiled } from './eval/tiled';

// --- distillation methods (one MethodSpec record each) and losses ---------------------------------------
export type { MethodConfig, MethodKind } from './distill/methods';
export type { MethodSpec } from './distill/method-spec';
export { METHODS, methodSpec, defaultMethodConfig, METHOD_SMOKE_CONFIGS, buildMethod, describeFormula, formulaTerms } from './distill/methods';
export { methodPreset, methodPresetOptim, type PresetOptim } from './distill/config';
export { cutTiles, drawCells } from './distill/dukd';
export type { DckdConfig } from './distill/dckd';
export { dckdPreset, dckdDegradedInputs, dckdVqgan, historyUpdatesAt, scaleHistoryToRun, UNTRAINED_FEATURES_NOTE } from './distill/dckd';
export type { CsdConfig } from './distill/csd';
export { csdPreset, csdFeatureNet } from './distill/csd';
export { CSD_WIDTH_MULT, slimEdsrForward, extractSlimEdsr } from './models/csd-edsr';
export { CSD_VGG_WEIGHTS, csdContrastiveLayers, csdContrastiveLoss, csdNegatives, csdNegativeOrder, type CsdLayerRatio } from './losses/csd-contrastive';
export { fullBatchContext } from './distill/method';
export { l1 } from './losses/pixel';
export { affinityL1 } from './losses/affinity';
export {
  handComputedLossRows, dukdTermCheck, termGradientNorms, gradientFlowProblems, gradientNormFigure, gradientNormTerms, lossPaperRows,
  GRADIENT_NORM_NETWORKS, type HandLossRow, type TermCheckRow, type GradientNormRow,
} from './reproduce/loss-checks';

// --- configs and training -------------------------------------------------------------------------------
export type { TrainConfig, DeepPartial } from './config/train';
export { PRESETS, PRESET_NAMES, trainPreset, type PresetName } from './config/presets';
export { resolveTrain, parseTrainConfig, assertTrainConfig } from './config/resolve';
export { configHash, runId } from './config/hash';
export { diffConfigs, formatChanges } from './config/diff';
export { train, type TrainOptions, type TrainProgressEvent } from './train/trainer';
export { assertMethodKernels, methodKernels, tinyRun } from './train/method-kernels';
export { Run, openRun, type RunResults } from './train/run';
export { warmStartStudent, formatWarmStart, type WarmStartReport } from './train/warm-start';

// --- reproduction: DUKD Tables 2-4 as jobs, paper numbers, teacher-student agreement, reports -----------
export {
  TABLE2, TABLE3, TABLE4, AUGKD_NUMBERS, ABLATION_ROWS, PAPER_SETS, table2Row, table3Row, table4Row, paperCell, paperAgreement,
  type AblationRow, type PaperCell, type PaperKitRow, type PaperSet, type Table2Row, type Table3Row, type Table4Row, type AugkdNumber,
} from './reproduce/paper-numbers';
export { ensureTeacher, teacherConfig, TEACHER_STEP_FACTOR, type TeacherInfo, type EnsureTeacherOptions } from './reproduce/teacher';
export { backbonePair, ablationPair, rowConfig } from './reproduce/job-config';
export { runJob, type JobResult, type ReproduceRow, type RunSummary, type AgreementRow, type JobEvent, type ReproduceOptions, type RowSpec } from './reproduce/job';
export { reproduceAblation, ablationRows, ABLATION_METHODS, ABLATION_CONTROLS, ABLATION_OPTIONAL, FAKD_LABELS, type AblationOptions } from './reproduce/ablation';
export { reproduceMainComparison, mainComparisonRows, type MainComparisonOptions } from './reproduce/main-comparison';
export { reproduceAugkdComparison, augkdComparisonRows, AUGKD_OPTIONAL_ROWS } from './reproduce/augkd-comparison';
export { jobProgress, jobSummary } from './reproduce/job-progress';
export { reproduceHeterogeneous, heterogeneousRows, type HeterogeneousOptions } from './reproduce/heterogeneous';
export {
  reproduceDckd, dckdRows, dckdPartResults, dckdPartTable, dckdPartSpecs, DCKD_PARTS, type DckdPart, type DckdJobResult, type DckdJobOptions,
} from './reproduce/dckd-tables';
export { writeDckdReport, dckdReportFigures, dckdPartFigure, dckdTablesText } from './reproduce/dckd-report';
export { conclusions } from './reproduce/claims';
export { dckdHistoryLag, historyLagFigure, type HistoryLagPoint } from './reproduce/dckd-history';
export { dckdCodeMaps, codeMapFigures, type CodeMaps } from './reproduce/dckd-codes';
export { dckdNegativeExamples, type DckdNegativeExamples } from './reproduce/dckd-negatives';
export { csdSharedNet, csdWidthOutputs, csdLayerRatios, csdRatioFigure, type CsdWidthOutputs } from './reproduce/csd-slicing';
export { DCKD_TABLE2, DCKD_TABLE5, DCKD_FIG8, dckdTable2Row, dckdTable5Row } from './reproduce/paper-numbers';
export { findFeatureWeights, featureWeightsDirs } from './io/feature-weights';
export { heldOutSets, scoreHeldOut, type HeldOutScore } from './reproduce/held-out';
export { AgreementProbe, teacherStudentAgreement, type AgreementScore } from './reproduce/agreement';
export { writeReport, reportFigures, reportFigureList, comparisonTable, methodConfigTable, primaryRows, reportId, type ReportFigures } from './reproduce/report';
// --- statistics over seeds (error bars, paired differences, verdicts) ---------------------------------
export { studentTQuantile, studentTCdf } from './stats/student-t';
export { summarize, pairedDifference, meanCi, verdictOf, type SeedSummary, type SeedValue, type PairedDifference, type Verdict } from './stats/seed-stats';
export { rowSeedStats, agreementStats, seedComparisonTable, seedsOf, hasSeedSpread, formatMeanSd, formatDifference, type RowSeedStats, type AgreementStats } from './reproduce/seed-table';
export { resolveSeeds, parseSeedList } from './reproduce/seeds';

export { gainVsParams, gainVsParamsFigure, ourGainPoints, paperGainPoints, type GainPoint, type GainVsParamsOptions } from './reproduce/gain-vs-params';

// --- plots, tables, notebook helpers --------------------------------------------------------------------
export { notebookSetup, show, progressLine, type NotebookHelpers, type Showable } from './notebook/setup';
export * as viz from './viz/index';
export { imageGrid, toRgbImages, exampleDataset, centreCrop, centreCropPair, type GridImage, type ImageGridOptions } from './viz/images';
export { cropMontage, cropScores, pickCrops, upscaleImage, type CropBox, type CropScore, type CropMontage, type CropMontageOptions } from './viz/crops';
