// SRKD_TFJS_FLAGS: parsing (booleans, numbers, strings; a malformed entry named) and setting (a registered flag
// takes the value; an unknown one is an error naming it and the flags with its prefix; another backend's flag
// is left alone).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { applyTfjsFlags, parseTfjsFlags } from '../../lib/backend/tfjs-flags';

describe('SRKD_TFJS_FLAGS', () => {
  it('parses NAME=value lists; true/false and numbers keep their types', () => {
    expect(parseTfjsFlags(undefined)).toEqual({});
    expect(parseTfjsFlags(' WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64, WEBGPU_CONV_SEPARATE_IM2COL_SHADER=true,WEBGPU_PRINT_SHADER=conv2d ,'))
      .toEqual({ WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: 64, WEBGPU_CONV_SEPARATE_IM2COL_SHADER: true, WEBGPU_PRINT_SHADER: 'conv2d' });
    expect(parseTfjsFlags('DEBUG=false')).toEqual({ DEBUG: false });
    expect(() => parseTfjsFlags('WEBGPU_X=1,oops')).toThrow("SRKD_TFJS_FLAGS: 'oops' is not NAME=value");
  });

  it('sets registered flags and names an unknown one', async () => {
    await initBackend({ announce: false });
    const before = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
    try {
      applyTfjsFlags({ CHECK_COMPUTATION_FOR_ERRORS: !before });
      expect(tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS')).toBe(!before);
    } finally {
      tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', before);
    }
    expect(() => applyTfjsFlags({ WASM_NO_SUCH_FLAG: 1 })).toThrow(/no TF\.js flag 'WASM_NO_SUCH_FLAG' on backend 'wasm' \(flags with that prefix: WASM_HAS_/);
    // another backend's flag (registered only where its package loads) is left for that backend
    expect(applyTfjsFlags({ WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE: false, CHECK_COMPUTATION_FOR_ERRORS: before })).toEqual({ CHECK_COMPUTATION_FOR_ERRORS: before });
  });
});
