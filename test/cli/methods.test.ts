// srkd methods: the METHODS table as the CLI shows it (table and JSON), formulas per backbone/scale, bad input.
import { describe, expect, it } from 'vitest';
import { runCommand } from '../cli-run';
import { methodsCommand } from '../../lib/cli/commands/methods';
import { METHOD_KINDS } from '../../lib/distill/methods';

describe('srkd methods', () => {
  it('--json lists every method record with its teacher flag and default objective', async () => {
    const { code, out } = await runCommand(methodsCommand, ['--json', '--arch', 'rcan', '--scale', '3']);
    expect(code).toBe(0);
    const rows = JSON.parse(out) as { kind: string; teacher: boolean; formula: string }[];
    expect(rows.map((r) => r.kind)).toEqual(METHOD_KINDS);
    expect(rows.find((r) => r.kind === 'scratch')).toMatchObject({ teacher: false, formula: 'total = 1·rec' });
    // DUKD code's RCAN x3 setting: rec 2, kd 1, zoom-out on
    expect(rows.find((r) => r.kind === 'dukd')?.formula).toBe('total = 2·rec + 1·kd + 1·zi + 2·zo_rec + 1·zo_kd');
    // the AugKD feature-KD baselines
    expect(rows.find((r) => r.kind === 'fitnet')).toMatchObject({ teacher: true, formula: 'total = 1·rec + 0.00001538·hint' });
    expect(rows.find((r) => r.kind === 'at')).toMatchObject({ teacher: true, formula: 'total = 1·rec + 500·at' });
  });

  it('prints a table and refuses an unknown backbone', async () => {
    const ok = await runCommand(methodsCommand, ['--scale', '2']);
    expect(ok.out).toMatch(/for an EDSR student at x2/);
    expect(ok.out).toMatch(/dukd +DUKD +yes +no +total = 5·rec \+ 1·kd \+ 1·zi \+ 5·zo_rec \+ 1·zo_kd/);
    await expect(runCommand(methodsCommand, ['--arch', 'vdsr'])).rejects.toThrow(/--arch must be one of edsr, rcan, swinir \(got 'vdsr'\)/);
  });
});
