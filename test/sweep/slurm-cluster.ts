/**
 * A private single-node Slurm for tests (Debian's slurm-wlm and munge, as measured to work on this kind of machine):
 * munged on its own socket and key, slurmctld + slurmd on this host with a slurm.conf in a temporary folder and
 * free ports, so nothing under /etc or /run is touched and another cluster on the machine is not disturbed.
 * Needs root (slurmd runs jobs as their user) and the binaries; `startSlurm` says why when it cannot start.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

export type SlurmCluster = {
  readonly dir: string;
  /** Environment for client commands (SLURM_CONF). */
  readonly env: NodeJS.ProcessEnv;
  /** Runs a Slurm client command; throws with its stderr when it fails. */
  run(cmd: string, args: readonly string[]): string;
  /** Stops the daemons (waiting for them to exit) and removes the folder. */
  stop(): void;
};

export type SlurmStart = { readonly cluster: SlurmCluster } | { readonly skip: string };

function which(bin: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')]) {
    const p = path.join(dir, bin);
    if (dir && fs.existsSync(p)) return p;
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the pid in `file`, then waits (up to 15 s) until that process is gone, so its files can be removed. */
function killPidFile(file: string): void {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return; // never started
  }
  if (!(pid > 1) || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; alive(pid) && waited < 15_000; waited += 100) Atomics.wait(tick, 0, 0, 100);
}

/** Starts munged, slurmctld and slurmd in a fresh temporary folder; `{ skip }` with the reason when it cannot. */
export async function startSlurm(): Promise<SlurmStart> {
  const bins = { munged: which('munged'), munge: which('munge'), slurmctld: which('slurmctld'), slurmd: which('slurmd'), sbatch: which('sbatch') };
  const missing = Object.entries(bins).filter(([, p]) => !p).map(([n]) => n);
  if (missing.length) return { skip: `Slurm is not installed (missing ${missing.join(', ')}; apt-get install slurm-wlm munge, as .ci/run does)` };
  if (process.getuid?.() !== 0) return { skip: 'starting slurmd needs root' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-slurm-'));
  fs.chmodSync(dir, 0o755); // munged wants the socket's folder reachable by all
  const host = os.hostname().split('.')[0];
  const pids = ['slurmd.pid', 'slurmctld.pid', 'munged.pid'].map((f) => path.join(dir, f));
  const stop = (): void => {
    for (const f of pids) killPidFile(f);
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  };
  try {
    const key = path.join(dir, 'munge.key');
    fs.writeFileSync(key, Buffer.from(Array.from({ length: 1024 }, () => Math.floor(Math.random() * 256))), { mode: 0o400 });
    const socket = path.join(dir, 'munge.sock');
    const m = spawnSync(bins.munged as string, ['--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${pids[2]}`,
      `--log-file=${path.join(dir, 'munged.log')}`, `--seed-file=${path.join(dir, 'munged.seed')}`], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`munged failed: ${m.stderr}`);
    const [ctldPort, dPort] = [await freePort(), await freePort()];
    const conf = path.join(dir, 'slurm.conf');
    const memMb = Math.floor((os.totalmem() / 2 ** 20) * 0.5);
    fs.mkdirSync(path.join(dir, 'state'));
    fs.mkdirSync(path.join(dir, 'spool'));
    fs.writeFileSync(conf, [
      // addresses given: no name lookup of this host needed
      'ClusterName=srkdtest', `SlurmctldHost=${host}(127.0.0.1)`, `SlurmctldPort=${ctldPort}`, `SlurmdPort=${dPort}`,
      'AuthType=auth/munge', 'CredType=cred/munge', `AuthInfo=socket=${socket}`,
      'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'MpiDefault=none', 'SlurmUser=root', 'SlurmdUser=root',
      `StateSaveLocation=${path.join(dir, 'state')}`, `SlurmdSpoolDir=${path.join(dir, 'spool')}`,
      `SlurmctldPidFile=${pids[1]}`, `SlurmdPidFile=${pids[0]}`,
      `SlurmctldLogFile=${path.join(dir, 'slurmctld.log')}`, `SlurmdLogFile=${path.join(dir, 'slurmd.log')}`,
      'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core', 'ReturnToService=2', 'JobRequeue=1',
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${os.cpus().length} RealMemory=${memMb} State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES State=UP MaxTime=INFINITE`, '',
    ].join('\n'));
    const env = { ...process.env, SLURM_CONF: conf };
    const run = (cmd: string, args: readonly string[]): string => {
      const r = spawnSync(cmd, args, { encoding: 'utf8', env });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
      return r.stdout;
    };
    run(bins.slurmctld as string, []);
    run(bins.slurmd as string, []);
    for (let waited = 0; ; waited += 500) {
      const state = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', env }).stdout?.trim();
      if (state === 'idle') break;
      if (waited > 30_000) throw new Error(`the node did not become idle within 30 s (sinfo: ${state || 'no answer'}); logs in ${dir}`);
      await sleep(500);
    }
    return { cluster: { dir, env, run, stop } };
  } catch (e) {
    stop();
    return { skip: `Slurm could not start: ${(e as Error).message}` };
  }
}
