// Training on webgpu vs cpu, and resume on webgpu (webgpu-train-checks.ts), one test each.
import { describeWebgpuSuite } from '../describe-webgpu-suite';
import { TRAIN_SUITE } from './webgpu-train-checks';

describeWebgpuSuite(TRAIN_SUITE);
