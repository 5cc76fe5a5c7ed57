import { vi } from 'vitest';
import { parseCommandArgs, type Command } from '../lib/cli/command';

/** Runs a CLI command in-process with stdout captured (stderr silenced); returns its exit code and output. */
export async function runCommand(cmd: Command, argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await cmd.run(parseCommandArgs(cmd, argv));
    return { code, out };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}
