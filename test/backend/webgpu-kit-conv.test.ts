// The kit's webgpu forward convolution (on by default) (webgpu-kit-conv-checks.ts), one test each.
import { describeWebgpuSuite } from '../describe-webgpu-suite';
import { KIT_CONV_SUITE } from './webgpu-kit-conv-checks';

describeWebgpuSuite(KIT_CONV_SUITE);
