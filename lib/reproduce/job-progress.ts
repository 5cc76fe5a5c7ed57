/**
 * What a notebook prints while and after a reproduce job runs, in one place: the live progress handler
 * (training steps of the row in progress, a line when a row starts) and the run summary (one line per run:
 * cached or trained, run id, time; then the teachers and the job's wall time).
 */
import type { TrainProgressEvent } from '../train/progress';
import type { JobEvent, JobResult } from './job';

/** Turns job events into calls of a progress line (`nb.progress()` or kit.progressLine()). */
export function jobProgress(line: (event: TrainProgressEvent | string) => void): (e: JobEvent) => void {
  return (e) => {
    if (e.kind === 'train') line(e.progress);
    else if (e.kind === 'row' && e.phase === 'start') line(`row ${e.index + 1}/${e.of}: ${e.row} (seed ${e.seed})`);
  };
}

/** The runs of a finished job and its teachers, as text lines. */
export function jobSummary(job: Pick<JobResult, 'runs' | 'teachers' | 'wallSec'>): string {
  const runs = job.runs.map((r) => `${r.row.padEnd(18)} seed ${r.seed} ${r.cached ? 'cached ' : 'trained'} ${r.runId}  ${r.wallSec.toFixed(1)} s`);
  const teachers = job.teachers.map((t) => `${JSON.stringify(t.arch)} ${t.runId ?? t.weights}`).join('; ');
  return [...runs, `teacher: ${teachers}; job ${job.wallSec.toFixed(1)} s`].join('\n');
}
