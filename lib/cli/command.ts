import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One CLI subcommand: lives in lib/cli/commands/<name>.ts and is listed in lib/cli/main.ts. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage text shown by `srkd <name> --help` (options, one per line). */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly allowPositionals?: boolean;
  /** Returns the process exit code. */
  run(args: ParsedArgs): Promise<number>;
}

export type ParsedArgs = { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] };

/** Thrown for bad command-line input; printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
      allowPositionals: cmd.allowPositionals ?? false,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    throw new UsageError(`${cmd.name}: ${(err as Error).message}`);
  }
}

export function stringArg(args: ParsedArgs, key: string, fallback?: string): string {
  const v = args.values[key];
  if (typeof v === 'string') return v;
  if (fallback !== undefined) return fallback;
  throw new UsageError(`missing required option --${key}`);
}

export function numberArg(args: ParsedArgs, key: string, fallback?: number): number {
  const v = args.values[key];
  if (v === undefined && fallback !== undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new UsageError(`--${key} must be a number (got '${String(v)}')`);
  return n;
}
