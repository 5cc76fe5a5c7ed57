// srkd train --engine: the choice is checked before anything else runs.
import { describe, expect, it } from 'vitest';
import { runCommand } from '../cli-run';
import { trainCommand } from '../../lib/cli/commands/train';

describe('srkd train --engine', () => {
  it('refuses an unknown engine naming the choices', async () => {
    await expect(runCommand(trainCommand, ['--engine', 'gpu', '--config', 'missing.json'])).rejects.toThrow(/--engine must be one of auto, workers, in-process \(got gpu\)/);
  });
});
