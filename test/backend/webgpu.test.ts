// The webgpu backend's checks (webgpu-checks.ts), one test each.
import { describeWebgpuSuite } from '../describe-webgpu-suite';
import { BACKEND_SUITE } from './webgpu-checks';

describeWebgpuSuite(BACKEND_SUITE);
