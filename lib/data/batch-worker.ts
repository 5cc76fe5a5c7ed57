/**
 * Worker side of WorkerBatchStream (worker-batches.ts): owns a BatchStream on its own event loop, so
 * reading, decoding and cutting patches go on while the main thread is busy with a training step. It
 * sends a record whenever the main thread has granted a credit; each record carries the stream state
 * before and after it, so the main thread can report an exact resume point.
 */
import { parentPort } from 'node:worker_threads';
import { BatchStream } from './batches';
import { openDataset } from './datasets';
import type { WorkerRequest, WorkerReply } from './worker-batches';

const port = parentPort;
if (!port) throw new Error('batch-worker.ts must run in a worker thread');

let stream: BatchStream | null = null;
let credits = 0;
let pumping = false;

function send(msg: WorkerReply, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(msg, transfer);
}

async function pump(): Promise<void> {
  if (pumping || !stream) return;
  pumping = true;
  try {
    while (credits > 0 && stream) {
      credits--;
      const before = stream.state();
      try {
        const record = await stream.nextRecord();
        send({ type: 'record', record, before, after: stream.state(), stats: stream.stats() }, [record.lr.buffer as ArrayBuffer, record.hr.buffer as ArrayBuffer]);
      } catch (err) {
        send({ type: 'error', message: (err as Error).message, before });
      }
    }
  } finally {
    pumping = false;
  }
}

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'init') {
    try {
      stream = new BatchStream(openDataset(msg.spec), msg.opts, msg.resume ?? undefined);
      send({ type: 'ready', state: stream.state(), pairs: stream.dataset.pairs.length, id: stream.dataset.id });
    } catch (err) {
      send({ type: 'error', message: (err as Error).message, before: null });
    }
  } else if (msg.type === 'credit') {
    credits += msg.n;
    void pump();
  }
});
