#!/usr/bin/env node
/**
 * Headless notebook runner for `npm test` (spec/notebooks.md §5). Node only: no Python, no Jupyter.
 *
 *   node scripts/nbrun.js [--quiet] [--out DIR] [--timeout-cell S] [--timeout-notebook S] NB.ipynb...
 *
 * Parent: one child process per notebook (fresh globals), run one after another; the child is
 * SIGKILLed after the notebook timeout, or when a cell overruns its own timeout and ignores the
 * interrupt (blocking code). The parent assembles the executed notebook from the child's messages,
 * saves it to --out (also when it failed), prints one summary line per notebook and a closing
 * `N passed, M failed` line, and exits 1 if any notebook failed.
 *
 * Child: runs every code cell top to bottom in-process with tslab's own converter and executor,
 * from the project root (like jupyter/kernels/tslab/launch.js). A cell fails on a type error, an
 * exception, a timeout (cell metadata.timeout or --timeout-cell, via executor.interrupt()), or an
 * unhandled rejection / uncaught exception raised while it runs or after it finished; the first
 * failure stops the notebook. Tags: `skip-execution` skips a cell, `raises-exception` requires it
 * to fail.
 */
'use strict';
const { fork } = require('child_process');
const fs = require('fs');
const path = require('path');
const util = require('util');

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_CELL_TIMEOUT_S = 600;
const DEFAULT_NOTEBOOK_TIMEOUT_S = 900;
/** After a cell's own timeout: SIGINT (breaks synchronous vm code), then SIGKILL. */
const WATCHDOG_SIGINT_S = 5;
const WATCHDOG_KILL_S = 10;

const USAGE =
  'usage: node scripts/nbrun.js [--quiet] [--out DIR] [--timeout-cell S] [--timeout-notebook S] NOTEBOOK.ipynb...';

function parseArgs(argv) {
  const opts = { quiet: false, out: null, cellTimeoutS: DEFAULT_CELL_TIMEOUT_S, notebookTimeoutS: DEFAULT_NOTEBOOK_TIMEOUT_S, files: [], child: false };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) usageError(`${arg} needs a value`);
      return argv[++i];
    };
    const seconds = () => {
      const s = Number(next());
      if (!Number.isFinite(s) || s <= 0) usageError(`${arg} must be a positive number of seconds`);
      return s;
    };
    if (arg === '--quiet' || arg === '-q') opts.quiet = true;
    else if (arg === '--out') opts.out = next();
    else if (arg === '--timeout-cell') opts.cellTimeoutS = seconds();
    else if (arg === '--timeout-notebook') opts.notebookTimeoutS = seconds();
    else if (arg === '--child') opts.child = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (arg.startsWith('-')) usageError(`unknown option ${arg}`);
    else opts.files.push(arg);
  }
  return opts;
}

function usageError(message) {
  process.stderr.write(`nbrun: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const joinSource = (src) => (Array.isArray(src) ? src.join('') : String(src ?? ''));
const tagsOf = (cell) => (Array.isArray(cell.metadata?.tags) ? cell.metadata.tags : []);
const fmtSeconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * tslab 1.0.22 drops the file name of chained diagnostics from imported files, printing just
 * `118:58 - ...`. When such a line number is past the end of the cell, say where to look.
 */
function foreignDiagnosticHint(errorText, source) {
  const cellLines = source.split('\n').length;
  const foreign = [...errorText.matchAll(/^(\d+):\d+ - /gm)].some((m) => Number(m[1]) > cellLines);
  if (!foreign) return '';
  return (
    `(line numbers past the cell's ${cellLines} lines are in a file it imports; tslab omits the file name. It compiles ` +
    'lib/ non-strict (no strictNullChecks): locate them with `node node_modules/@tslab/typescript-for-tslab/bin/tsc ' +
    '--noEmit --strict false -p tsconfig.tslab.json`)\n'
  );
}

// ---------------------------------------------------------------------------------------------
// Child: execute one notebook in this process, report through IPC.

async function runChild(opts) {
  const nbPath = path.resolve(opts.files[0]);
  const send = (msg) => new Promise((resolve) => process.send(msg, () => resolve()));
  const nb = JSON.parse(fs.readFileSync(nbPath, 'utf8'));

  process.env.TSLAB_NOTEBOOK_DIR = path.dirname(nbPath);
  process.chdir(ROOT); // tslab compiles with rootDir = cwd; notebooks import ./lib/...
  const tslabDist = path.join(ROOT, 'node_modules', 'tslab', 'dist');
  const { createConverter } = require(path.join(tslabDist, 'converter.js'));
  const { createExecutor } = require(path.join(tslabDist, 'executor.js'));
  // The module that `import * as tslab from "tslab"` reads the display sink from.
  const jupyter = require(path.join(tslabDist, 'jupyter.js'));

  let current = -1; // cell index that receives output (the running one, else the last one run)
  let running = false;
  const post = (msg) => process.send(msg);

  const makeWrite = (name) =>
    function write(chunk, encoding, cb) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
      if (text) post({ t: 'stream', index: current, name, text });
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') process.nextTick(done);
      return true;
    };
  process.stdout.write = makeWrite('stdout');
  process.stderr.write = makeWrite('stderr');
  jupyter.lastWriteDisplayData = (data, update) => {
    post({ t: 'display', index: current, update: Boolean(update), data: data.data, metadata: data.metadata ?? {}, displayId: data.transient?.display_id ?? null });
  };

  let nodeConv = null;
  let browserConv = null;
  const convs = {
    get node() {
      return (nodeConv ??= createConverter({ isJS: false, isBrowser: false }));
    },
    get browser() {
      return (browserConv ??= createConverter({ isJS: false, isBrowser: true }));
    },
    close() {
      nodeConv?.close();
      browserConv?.close();
    },
  };
  let errorText = '';
  const executor = createExecutor(ROOT, convs, {
    log: (...args) => process.stdout.write(util.format(...args) + '\n'),
    error: (...args) => {
      const text = util.format(...args) + '\n';
      errorText += text;
      process.stderr.write(text);
    },
  });

  // Async errors: fail the running cell at once (interrupting its await), or the last one run.
  let asyncError = null;
  const onAsyncError = (kind) => (err) => {
    const text = `${kind}${running ? '' : ` (raised after cell ${current} finished)`}: ${util.inspect(err)}`;
    process.stderr.write(text + '\n');
    if (!asyncError) asyncError = { index: current, text };
    if (running) executor.interrupt();
  };
  process.on('unhandledRejection', onAsyncError('Unhandled promise rejection'));
  process.on('uncaughtException', onAsyncError('Uncaught exception'));
  process.on('SIGINT', () => executor.interrupt()); // also breaks synchronous vm code (breakOnSigint)

  const tick = () => new Promise((resolve) => setImmediate(resolve));
  let failed = false;
  for (let index = 0; index < nb.cells.length && !failed; index++) {
    const cell = nb.cells[index];
    if (cell.cell_type !== 'code') continue;
    const tags = tagsOf(cell);
    if (tags.includes('skip-execution')) {
      post({ t: 'skip', index });
      continue;
    }
    const timeoutS = Number(cell.metadata?.timeout) > 0 ? Number(cell.metadata.timeout) : opts.cellTimeoutS;
    current = index;
    errorText = '';
    let timedOut = false;
    await send({ t: 'start', index, timeoutS });
    const t0 = performance.now();
    running = true;
    const timer = setTimeout(() => {
      timedOut = true;
      executor.interrupt();
    }, timeoutS * 1000);
    let ok;
    try {
      ok = await executor.execute(joinSource(cell.source));
    } catch (err) {
      // execute() reports errors by returning false; this is a tslab failure, not the cell's
      errorText += `tslab executor failed: ${util.inspect(err)}\n`;
      ok = false;
    }
    clearTimeout(timer);
    running = false;
    await tick(); // let unhandled rejections from this cell surface before judging it
    await tick();
    const ms = performance.now() - t0;
    let error = null;
    if (timedOut) error = `timed out after ${timeoutS} s (cell metadata.timeout or --timeout-cell); interrupted`;
    else if (asyncError) error = asyncError.text;
    else if (!ok) error = (errorText || 'cell failed (no error text)') + foreignDiagnosticHint(errorText, joinSource(cell.source));

    if (tags.includes('raises-exception') && !timedOut && !asyncError) {
      error = ok ? 'cell is tagged raises-exception but did not raise' : null;
    }
    // `printed`: what already went to the cell's stderr, so the report shows it once
    post({ t: 'end', index, ok: error === null, ms, error, printed: asyncError ? asyncError.text : errorText });
    if (error !== null) failed = true;
  }

  if (!failed) {
    // Errors raised by timers or promises after the last cell.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await tick();
    if (asyncError) {
      post({ t: 'late-error', index: asyncError.index, error: asyncError.text });
      failed = true;
    }
  }
  await send({ t: 'done', failed });
  try {
    executor.close();
  } catch {
    // closing is best effort; the process exits next
  }
  process.exit(0); // worker pools or timers opened by cells would otherwise keep the process alive
}

// ---------------------------------------------------------------------------------------------
// Parent: run each notebook in a child, assemble outputs, report.

function splitLines(text) {
  return text.split(/(?<=\n)/);
}

function textOutputsForSave(outputs) {
  return outputs.map((o) => {
    if (o.output_type === 'stream') return { output_type: 'stream', name: o.name, text: splitLines(o.text) };
    if (o.output_type === 'display_data') {
      const data = {};
      for (const [mime, value] of Object.entries(o.data)) {
        const isText = mime.startsWith('text/') || mime === 'image/svg+xml';
        data[mime] = isText && typeof value === 'string' ? splitLines(value) : value;
      }
      return { output_type: 'display_data', data, metadata: o.metadata ?? {} };
    }
    return o;
  });
}

/** Runner lines start on a fresh line even when a cell's stdout ended without a newline. */
let stdoutAtLineStart = true;
function say(line) {
  process.stdout.write(`${stdoutAtLineStart ? '' : '\n'}${line}\n`);
  stdoutAtLineStart = true;
}
function echoCellOutput(name, text) {
  if (name === 'stderr') {
    process.stderr.write(text);
    return;
  }
  process.stdout.write(text);
  stdoutAtLineStart = text.endsWith('\n');
}

function runNotebook(file, opts) {
  return new Promise((resolve) => {
    const started = performance.now();
    let nb;
    try {
      nb = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (!Array.isArray(nb.cells)) throw new Error('no "cells" array');
    } catch (err) {
      resolve({ file, ok: false, ms: 0, cells: 0, failure: { index: null, error: `cannot read notebook: ${err.message}` }, nb: null });
      return;
    }
    for (const cell of nb.cells) {
      if (cell.cell_type !== 'code') continue;
      cell.outputs = [];
      cell.execution_count = null;
    }

    const args = ['--child', `--timeout-cell=${opts.cellTimeoutS}`, path.resolve(file)];
    const child = fork(__filename, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], cwd: ROOT });
    let nativeOutput = ''; // writes that bypassed process.stdout/stderr.write (native code, fd writes)
    const keepNative = (chunk, stream) => {
      if (!opts.quiet) echoCellOutput(stream === process.stderr ? 'stderr' : 'stdout', chunk.toString());
      nativeOutput = (nativeOutput + chunk.toString()).slice(-20000);
    };
    child.stdout.on('data', (c) => keepNative(c, process.stdout));
    child.stderr.on('data', (c) => keepNative(c, process.stderr));

    const displays = new Map(); // display_id -> outputs showing it (update_display_data replaces them)
    let executionCount = 0;
    let runningIndex = null;
    let failure = null;
    let done = false;
    let watchdog = [];
    let interruptedBlocking = null; // the cell timeout, once the watchdog had to SIGINT blocking code
    const clearWatchdog = () => {
      watchdog.forEach(clearTimeout);
      watchdog = [];
    };
    const kill = (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const outputsOf = (index) => (index !== null && index >= 0 && nb.cells[index] ? nb.cells[index].outputs : null);
    const label = (index) => `cell ${index}`;

    const notebookTimer = setTimeout(() => {
      if (!failure) failure = { index: runningIndex, error: `notebook timed out after ${opts.notebookTimeoutS} s (killed)` };
      kill('SIGKILL');
    }, opts.notebookTimeoutS * 1000);

    child.on('message', (msg) => {
      switch (msg.t) {
        case 'start': {
          runningIndex = msg.index;
          nb.cells[msg.index].execution_count = ++executionCount;
          if (!opts.quiet) say(`  ${label(msg.index)} ...`);
          clearWatchdog();
          const grace = msg.timeoutS * 1000;
          watchdog.push(
            setTimeout(() => {
              interruptedBlocking = msg.timeoutS;
              kill('SIGINT');
            }, grace + WATCHDOG_SIGINT_S * 1000),
          );
          watchdog.push(
            setTimeout(() => {
              if (!failure) failure = { index: msg.index, error: `timed out after ${msg.timeoutS} s and ignored the interrupt (blocking code?); killed` };
              kill('SIGKILL');
            }, grace + WATCHDOG_KILL_S * 1000),
          );
          break;
        }
        case 'stream': {
          const outs = outputsOf(msg.index);
          if (!opts.quiet) echoCellOutput(msg.name, msg.text);
          if (!outs) break;
          const last = outs[outs.length - 1];
          if (last && last.output_type === 'stream' && last.name === msg.name) last.text += msg.text;
          else outs.push({ output_type: 'stream', name: msg.name, text: msg.text });
          break;
        }
        case 'display': {
          if (msg.update && msg.displayId && displays.has(msg.displayId)) {
            for (const o of displays.get(msg.displayId)) {
              o.data = msg.data;
              o.metadata = msg.metadata;
            }
            break;
          }
          const outs = outputsOf(msg.index);
          if (!outs) break;
          const out = { output_type: 'display_data', data: msg.data, metadata: msg.metadata };
          outs.push(out);
          if (msg.displayId) displays.set(msg.displayId, [...(displays.get(msg.displayId) ?? []), out]);
          break;
        }
        case 'skip':
          if (!opts.quiet) say(`  ${label(msg.index)} skipped (skip-execution)`);
          break;
        case 'end':
          clearWatchdog();
          runningIndex = null;
          if (!opts.quiet) say(`  ${label(msg.index)} ${msg.ok ? 'ok' : 'FAILED'} ${fmtSeconds(msg.ms)}`);
          if (!msg.ok && !failure) {
            const blocked = interruptedBlocking !== null ? `timed out after ${interruptedBlocking} s in blocking code; stopped by SIGINT\n` : '';
            failure = { index: msg.index, error: blocked + msg.error, printed: msg.printed };
          }
          break;
        case 'late-error':
          if (!failure) failure = { index: msg.index, error: msg.error, printed: msg.error };
          break;
        case 'done':
          done = true;
          setTimeout(() => kill('SIGKILL'), 5000).unref(); // it exits by itself; just in case
          break;
      }
    });

    child.on('exit', (code, signal) => {
      clearTimeout(notebookTimer);
      clearWatchdog();
      if (!done && !failure) {
        failure = {
          index: runningIndex,
          error: `notebook process exited early (${signal ? `signal ${signal}` : `exit code ${code}`})`,
        };
      }
      if (failure && failure.index !== null && failure.index >= 0) {
        const lines = String(failure.error).trimEnd().split('\n');
        nb.cells[failure.index].outputs.push({ output_type: 'error', ename: 'CellError', evalue: lines[0], traceback: lines });
      }
      const cells = nb.cells.filter((c) => c.cell_type === 'code').length;
      resolve({ file, ok: !failure, ms: performance.now() - started, cells, failure, nb, nativeOutput });
    });
  });
}

function saveNotebook(result, outDir) {
  const nb = result.nb;
  for (const cell of nb.cells) if (cell.cell_type === 'code') cell.outputs = textOutputsForSave(cell.outputs);
  fs.mkdirSync(outDir, { recursive: true });
  const dest = path.join(outDir, path.basename(result.file));
  fs.writeFileSync(dest, JSON.stringify(nb, null, 1) + '\n');
  return dest;
}

/** Drops stack frames of the runner and of tslab/node internals; the cell's own frames stay. */
function trimStack(text) {
  return text
    .split('\n')
    .filter((line) => !/^\s+at .*(node:vm|node:internal|tslab[\\/]dist[\\/]|scripts[\\/]nbrun\.js|sigintHandlersWrap)/.test(line))
    .join('\n');
}

function describeFailure(result) {
  const { failure, nb } = result;
  const parts = [];
  if (failure.index !== null && failure.index >= 0 && nb) {
    const cell = nb.cells[failure.index];
    const codeNo = nb.cells.slice(0, failure.index + 1).filter((c) => c.cell_type === 'code').length;
    parts.push(`  failed at cell ${failure.index} (code cell ${codeNo} of ${result.cells}, notebook index from 0)`);
    parts.push('  --- source ---');
    parts.push(joinSource(cell.source).replace(/^/gm, '  | '));
    let stderr = cell.outputs
      .filter((o) => o.output_type === 'stream' && o.name === 'stderr')
      .map((o) => joinSource(o.text))
      .join('');
    if (failure.printed) stderr = stderr.replace(failure.printed, ''); // the error is printed below
    if (stderr.trim()) {
      parts.push('  --- stderr (last 40 lines) ---');
      parts.push(trimStack(stderr).trimEnd().split('\n').slice(-40).join('\n').replace(/^/gm, '  | '));
    }
  }
  parts.push('  --- error ---');
  parts.push(trimStack(String(failure.error)).trimEnd().replace(/^/gm, '  | '));
  if (result.nativeOutput && result.nativeOutput.trim()) {
    parts.push('  --- process output outside cells (last 2000 chars) ---');
    parts.push(result.nativeOutput.slice(-2000).trimEnd().replace(/^/gm, '  | '));
  }
  return parts.join('\n') + '\n';
}

async function runParent(opts) {
  if (opts.files.length === 0) usageError('no notebooks given');
  let passed = 0;
  let failed = 0;
  for (const file of opts.files) {
    if (!opts.quiet) say(`RUN  ${file}`);
    const result = await runNotebook(file, opts);
    const details = result.ok ? '' : describeFailure(result);
    let saved = '';
    if (opts.out && result.nb) saved = `  -> ${saveNotebook(result, opts.out)}`;
    const where = result.failure && result.failure.index !== null ? ` at cell ${result.failure.index}` : '';
    say(`${result.ok ? 'PASS' : 'FAIL'} ${file}  ${result.cells} code cells  ${fmtSeconds(result.ms)}${result.ok ? '' : where}${saved}`);
    if (result.ok) passed++;
    else {
      failed++;
      process.stdout.write(details);
      stdoutAtLineStart = true;
    }
  }
  say(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

const opts = parseArgs(process.argv.slice(2));
if (opts.child) {
  runChild(opts).catch((err) => {
    process.send({ t: 'late-error', index: null, error: `runner child failed: ${util.inspect(err)}` }, () => process.exit(1));
  });
} else {
  runParent(opts);
}
