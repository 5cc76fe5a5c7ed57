/**
 * Test helper: runs the `srkd train` command (lib/cli/commands/train.ts) in a child process, as bin/srkd.js
 * would, so a test can SIGKILL it mid-run. Usage: node bin/run-ts.js test/train/cli-child.ts <train args...>
 */
import { parseCommandArgs } from '../../lib/cli/command';
import { trainCommand } from '../../lib/cli/commands/train';

trainCommand.run(parseCommandArgs(trainCommand, process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err: Error) => { process.stderr.write(`srkd: ${err.message}\n`); process.exitCode = 1; },
);
