/**
 * Loads the frozen feature networks from their published PyTorch files through the kit's checkpoint reader:
 * torchvision's VGG-19 (`vgg19-dcbb9e9d.pth`, CSD) and the taming-transformers VQGAN (`last.ckpt` of
 * vqgan_imagenet_f16_1024, DCKD). Both are read with foreign globals kept inert: the VQGAN file is a PyTorch
 * Lightning checkpoint whose `callbacks` dict is keyed by a `pytorch_lightning` class; such names are recorded as
 * `{ $class }` placeholders, never resolved or called, and listed in the report. Only the weights the network
 * needs are converted; every other key is listed as ignored.
 */
import { type TorchCheckpoint, TorchCheckpointError, findStateDict, readTorchCheckpoint, stateDict } from './torch/checkpoint';
import { mapVggTorchvision } from './weight-maps/vgg-torchvision';
import { mapVqganTaming } from './weight-maps/vqgan-taming';
import { type VggFeatures, vggFromWeights } from '../models/features/vgg19';
import { type VqganConfig, type VqganEncoder, inferVqganConfig, vqganFromWeights } from '../models/features/vqgan-encoder';

export interface FrozenNetReport {
  readonly file: string;
  readonly format: 'zip' | 'legacy';
  /** Wrapper keys followed to the state dict ([] = bare state dict, ['state_dict'] for Lightning). */
  readonly statePath: readonly string[];
  /** Checkpoint keys converted into the network. */
  readonly used: readonly string[];
  /** Checkpoint keys of the state dict the network does not need (classifier, decoder, loss, ...). */
  readonly ignored: readonly string[];
  /** Foreign globals the file references (kept inert, never called), "module.name". */
  readonly foreignGlobals: readonly string[];
}

function readInert(file: string): TorchCheckpoint {
  return readTorchCheckpoint(file, { unknownGlobals: 'opaque' });
}

function mapped<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TorchCheckpointError) throw err;
    const msg = (err as Error).message;
    throw new TorchCheckpointError(file, msg.startsWith(`${file}: `) ? msg.slice(file.length + 2) : msg, { cause: err });
  }
}

/** torchvision VGG-19 (any widths) from `file`. The caller owns `net` (dispose()). */
export function loadVgg19(file: string): { net: VggFeatures; report: FrozenNetReport } {
  const ckpt = readInert(file);
  const found = findStateDict(ckpt);
  const sd = stateDict(ckpt);
  const { weights, ignored } = mapped(file, () => mapVggTorchvision(sd, file));
  const net = mapped(file, () => vggFromWeights(weights, file));
  return {
    net,
    report: {
      file, format: ckpt.format, statePath: found.path, used: Object.keys(weights), ignored,
      foreignGlobals: ckpt.foreignGlobals,
    },
  };
}

/**
 * The VQGAN encoder + quant_conv + codebook from a taming-transformers / Lightning checkpoint (`state_dict`) or a
 * bare state dict. The config comes from the tensor shapes, with `base` (default: DCKD's `network_vqgan`) for
 * what shapes cannot tell (`resolution`). The caller owns `net` (dispose()).
 */
export function loadVqgan(file: string, base?: VqganConfig): { net: VqganEncoder; config: VqganConfig; report: FrozenNetReport } {
  const ckpt = readInert(file);
  const prefer = ['state_dict', 'params_ema', 'params', 'model'];
  const found = findStateDict(ckpt, { prefer });
  const sd = stateDict(ckpt, { prefer });
  const { weights, ignored } = mapped(file, () => mapVqganTaming(sd, file));
  const config = mapped(file, () => inferVqganConfig(weights, base, file));
  const net = mapped(file, () => vqganFromWeights(weights, config, file));
  return {
    net, config,
    report: {
      file, format: ckpt.format, statePath: found.path, used: Object.keys(weights), ignored,
      foreignGlobals: ckpt.foreignGlobals,
    },
  };
}

/** One line per fact, for CLI output and notebooks. */
export function formatFrozenNetReport(name: string, r: FrozenNetReport): string {
  const lines = [
    `${name}: ${r.file} (${r.format}${r.statePath.length ? `, state dict under '${r.statePath.join('.')}'` : ''})`,
    `  used ${r.used.length} tensors, ignored ${r.ignored.length}` +
      (r.ignored.length ? ` (${r.ignored.slice(0, 4).join(', ')}${r.ignored.length > 4 ? ', ...' : ''})` : ''),
  ];
  if (r.foreignGlobals.length) lines.push(`  foreign globals kept inert (never called): ${r.foreignGlobals.join(', ')}`);
  return lines.join('\n') + '\n';
}
