/**
 * Run-directory locks (lib/train/run-lock.ts) and the reproduce jobs' wait-then-reuse on them: two processes
 * (or calls) never train one run at once; a stale lock of a dead process is taken over; a lock from another
 * host is respected.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runId } from '../../lib/config/hash';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import { finishedOrTrain } from '../../lib/reproduce/cached-run';
import { selectRows } from '../../lib/reproduce/job';
import { LOCK_FILE, RunLockedError, acquireRunLock, runLockHolder, waitForRunLock } from '../../lib/train/run-lock';
import { train } from '../../lib/train/trainer';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-lock-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('acquireRunLock', () => {
  it('is exclusive, names the holder, and is released', () => {
    const dir = path.join(TMP, 'a');
    const release = acquireRunLock(dir);
    expect(runLockHolder(dir)).toMatchObject({ pid: process.pid, host: os.hostname() });
    let err: unknown;
    try {
      acquireRunLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunLockedError);
    expect((err as Error).message).toMatch(new RegExp(`run .*a is being trained by pid ${process.pid} on ${os.hostname()}`));
    release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    release(); // twice is harmless
    acquireRunLock(dir)();
  });

  it('takes over the lock of a process that is gone; respects one from another host', () => {
    const dir = path.join(TMP, 'b');
    fs.mkdirSync(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number; // exited: its pid is free
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: os.hostname(), started: 'then' }));
    expect(runLockHolder(dir)).toBeNull();
    const release = acquireRunLock(dir);
    expect(runLockHolder(dir)?.pid).toBe(process.pid);
    release();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: 'elsewhere', started: 'then' }));
    expect(() => acquireRunLock(dir)).toThrow(/being trained by pid \d+ on elsewhere/);
    fs.rmSync(path.join(dir, LOCK_FILE));
  });

  it('waitForRunLock resolves when the holder lets go, and gives up after its timeout', async () => {
    const dir = path.join(TMP, 'c');
    const release = acquireRunLock(dir);
    await expect(waitForRunLock(dir, { pollMs: 20, timeoutMs: 100 })).rejects.toThrow(/still locked after 100 ms/);
    setTimeout(release, 150);
    await waitForRunLock(dir, { pollMs: 20 });
    expect(runLockHolder(dir)).toBeNull();
  });
});

describe('train() and the reproduce jobs on a locked run', () => {
  const cfg = resolveTrain({ totalSteps: 2, workers: 1, val: { sets: [] } }, trainPreset('smoke', { method: 'scratch' }));

  it('train() refuses a run another holder has; finishedOrTrain waits, then trains it', async () => {
    const runs = path.join(TMP, 'runs');
    const dir = path.join(runs, runId(cfg));
    const release = acquireRunLock(dir); // stands in for another process training this run
    await expect(train(cfg, { runsDir: runs, quiet: true })).rejects.toThrow(RunLockedError);
    const logs: string[] = [];
    setTimeout(release, 300);
    const run = await finishedOrTrain(cfg, { runsDir: runs, quiet: true, log: (l) => logs.push(l), pollMs: 50 });
    expect(logs[0]).toMatch(/^waiting: run .* is being trained by pid/);
    expect(run.dir).toBe(dir);
    expect(run.results.status).toBe('completed');
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    run.dispose();
    // finished now: the next job opens it without training
    const again = await finishedOrTrain(cfg, { runsDir: runs, quiet: true, log: (l) => logs.push(l) });
    expect(again.dir).toBe(dir);
    again.dispose();
  });

  it('selectRows keeps table order and names the table\'s rows for an unknown id', () => {
    const rows = ['scratch', 'kd', 'full'].map((row) => ({ row } as never));
    expect(selectRows(rows, ['full', 'scratch']).map((r) => r.row)).toEqual(['scratch', 'full']);
    expect(selectRows(rows, null)).toEqual(rows); // no optional rows here: all of them
    expect(() => selectRows(rows, ['dukd'])).toThrow("unknown row 'dukd'; this table's rows: scratch, kd, full");
  });
});
