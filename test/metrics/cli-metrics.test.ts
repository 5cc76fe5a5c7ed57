import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../cli-run';
import { UsageError } from '../../lib/cli/command';
import { metricsCommand } from '../../lib/cli/commands/metrics';
import { sharedPath } from '../shared';

const run = (argv: string[]): Promise<{ code: number; out: string }> => runCommand(metricsCommand, argv);

afterEach(() => vi.restoreAllMocks());

describe('srkd metrics', () => {
  const sr = sharedPath('data/reference_outputs/RCAN/Set5/x4');
  const hr = sharedPath('data/benchmark/Set5/HR');

  it('prints a table with the protocol id in the title', async () => {
    const { code, out } = await run(['--sr', sr, '--hr', hr, '--scale', '4']);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/\[paper-y\] x4: 5 images/);
    expect(out).toMatch(/baby\s+33\.948246\s+0\.896239/);
    expect(lines[lines.length - 1]).toMatch(/^mean\s+32\.63356\d\s+0\.90024\d$/);
  });

  it('--json gives rows, mean and protocol', async () => {
    const { code, out } = await run(['--sr', sr, '--hr', hr, '--scale', '4', '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.protocol).toBe('paper-y');
    expect(j.scale).toBe(4);
    expect(j.rows).toHaveLength(5);
    expect(Math.abs(j.mean.psnr - 32.633562)).toBeLessThan(1e-4);
    expect(Math.abs(j.mean.ssim - 0.900241)).toBeLessThan(1e-5);
  });

  it('bad input is a usage error', async () => {
    await expect(run(['--sr', sr, '--hr', hr])).rejects.toThrow(UsageError);
    await expect(run(['--sr', sr, '--hr', hr, '--scale', '2.5'])).rejects.toThrow(/positive integer/);
    await expect(run(['--sr', sr, '--hr', hr, '--scale', '4', '--nope'])).rejects.toThrow(UsageError);
  });
});
