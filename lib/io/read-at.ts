import * as fs from 'node:fs';

/** Reads `len` bytes at byte `pos` of an open file (fewer only at the end of the file). */
export function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}
