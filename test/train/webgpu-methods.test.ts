// CSD and DCKD on webgpu vs cpu (webgpu-methods-checks.ts), one test each.
import { describeWebgpuSuite } from '../describe-webgpu-suite';
import { METHODS_SUITE } from './webgpu-methods-checks';

describeWebgpuSuite(METHODS_SUITE);
