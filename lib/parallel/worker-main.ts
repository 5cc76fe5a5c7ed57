/**
 * One data-parallel worker: its own backend instance and one Replica (replica.ts) of the task, with the same
 * optimiser as every other worker. Requests are handled strictly in arrival order; errors go back as
 * SerializedError so the pool rebuilds their class (lib/train/errors.ts).
 */
import { parentPort } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend } from '../backend/index';
import { serializeError } from '../train/errors';
import type { Envelope, GradReply, InitReply, Reply, Request } from './protocol';
import { Replica } from './replica';
import type { CreateTask } from './task';

let replica: Replica | null = null;

function need(): Replica {
  if (!replica) throw new Error('worker not initialised');
  return replica;
}

async function init(req: Extract<Request, { type: 'init' }>): Promise<InitReply> {
  if (replica) throw new Error('worker already initialised');
  const info = await initBackend({ backend: req.backend, announce: false });
  const mod = require(req.taskModule) as { createTask?: CreateTask }; // eslint-disable-line @typescript-eslint/no-var-requires -- the module path is data
  if (typeof mod.createTask !== 'function') throw new Error(`${req.taskModule} does not export createTask(config)`);
  const task = await mod.createTask(req.taskConfig);
  try {
    replica = new Replica(task, req.optimizer);
  } catch (e) {
    task.dispose();
    throw e;
  }
  return {
    coupling: { stats: replica.coupled, wholeBatch: task.wholeBatch === true },
    banner: describeBackend(info), backend: info.name, threads: info.threads, simd: info.simd, variables: replica.variables,
    stateVariables: replica.stateInfo,
  };
}

function withTransfer(ws: Float32Array[]): { value: Float32Array[]; transfer: ArrayBuffer[] } {
  return { value: ws, transfer: ws.map((w) => w.buffer as ArrayBuffer) };
}

async function handle(req: Request): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  switch (req.type) {
    case 'init': return { value: await init(req) };
    case 'grad': {
      const t0 = performance.now();
      const r = need().grad(req.inputs, req.call, req.release ?? true, req.whole);
      const reply: GradReply = { ...r.reply, numTensors: tf.memory().numTensors, seconds: (performance.now() - t0) / 1000 };
      return { value: reply, transfer: r.transfer };
    }
    case 'stats': return { value: await need().stats(req.inputs, req.whole, req.call) };
    case 'apply': return { value: need().apply(req.grads, req.learningRate, req.endStep) };
    case 'emaInit': need().emaInit(req.decay); return { value: null };
    case 'getEma': return withTransfer(await need().getEma());
    case 'setEma': need().setEma(req.weights); return { value: null };
    case 'getWeights': return withTransfer(await need().getWeights());
    case 'setWeights': need().setWeights(req.weights); return { value: null };
    case 'getState': return withTransfer(await need().getState());
    case 'setState': need().setState(req.weights); return { value: null };
    case 'getOptimizerState': {
      const st = await need().getOptimizerState();
      return { value: st, transfer: st.slots.map((x) => x.data.buffer as ArrayBuffer) };
    }
    case 'setOptimizerState': await need().setOptimizerState(req.state); return { value: null };
    case 'checksum': return { value: await need().checksum() };
    case 'memory': return { value: tf.memory().numTensors };
    case 'dispose': {
      replica?.dispose();
      replica = null;
      return { value: null };
    }
    default: throw new Error(`unknown request ${(req as { type: string }).type}`);
  }
}

const port = parentPort;
if (!port) throw new Error('lib/parallel/worker-main must run in a worker thread');
let queue: Promise<void> = Promise.resolve();
port.on('message', (env: Envelope) => {
  queue = queue.then(async () => {
    let reply: Reply;
    let transfer: ArrayBuffer[] = [];
    try {
      const r = await handle(env.request);
      reply = { id: env.id, ok: true, value: r.value };
      transfer = r.transfer ?? [];
    } catch (e) {
      reply = { id: env.id, ok: false, error: serializeError(e) };
    }
    port.postMessage(reply, transfer);
  });
});
