/**
 * `srkd methods`: the distillation methods as the METHODS table records them (lib/distill/methods.ts): kind,
 * teacher, batch coupling, source, and the default objective for a student backbone and scale.
 */
import type { Command } from '../command';
import { numberArg, stringArg, UsageError } from '../command';
import { describeFormula, defaultMethodConfig, METHOD_KINDS, methodSpec } from '../../distill/methods';
import { ARCH_NAMES, type ArchName, archSpec } from '../../models/archs/index';
import type { Scale } from '../../types';
import { formatTable } from '../../viz/table';

export type MethodRow = {
  readonly kind: string;
  readonly title: string;
  readonly teacher: boolean;
  readonly batchCoupled: boolean;
  readonly formula: string;
  readonly source: string;
};

/** One row per method record, with its default formula for `arch` at `scale`. */
export function methodRows(arch: ArchName, scale: Scale): MethodRow[] {
  return METHOD_KINDS.map((k) => {
    const spec = methodSpec(k);
    return {
      kind: k, title: spec.title, teacher: spec.needsTeacher, batchCoupled: spec.batchCoupled,
      formula: describeFormula(defaultMethodConfig(k, arch, scale)), source: spec.source,
    };
  });
}

export const methodsCommand: Command = {
  name: 'methods',
  summary: 'List the distillation methods (teacher, batch coupling, default objective per backbone and scale)',
  usage: [
    '[--arch edsr|rcan|swinir] [--scale 2|3|4] [--json]',
    '  --arch A    student backbone whose defaults the formulas show (default edsr)',
    '  --scale S   scale whose defaults the formulas show (default 4)',
    '  --json      one JSON array of rows',
  ].join('\n'),
  options: { arch: { type: 'string' }, scale: { type: 'string' }, json: { type: 'boolean' } },
  async run(args) {
    const arch = stringArg(args, 'arch', 'edsr');
    if (!(ARCH_NAMES as readonly string[]).includes(arch)) throw new UsageError(`--arch must be one of ${ARCH_NAMES.join(', ')} (got '${arch}')`);
    const scale = numberArg(args, 'scale', 4);
    if (scale !== 2 && scale !== 3 && scale !== 4) throw new UsageError(`--scale must be 2, 3 or 4 (got ${scale})`);
    const rows = methodRows(arch as ArchName, scale);
    if (args.values.json) {
      process.stdout.write(JSON.stringify(rows, null, 1) + '\n');
      return 0;
    }
    process.stdout.write(`Distillation methods (default objectives for an ${archSpec(arch as ArchName).title} student at x${scale})\n`);
    process.stdout.write(formatTable(rows.map((r) => ({ kind: r.kind, method: r.title, teacher: r.teacher ? 'yes' : 'no', 'batch-coupled': r.batchCoupled ? 'yes' : 'no', objective: r.formula }))) + '\n');
    return 0;
  },
};

export default methodsCommand;
