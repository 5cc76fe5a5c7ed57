import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, formatRate, type ProgressStream } from '../../lib/util/progress';

function sink(isTTY: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, write: (c: string) => chunks.push(c), text: () => chunks.join('') };
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('formatDuration / formatRate', () => {
  it('formats durations as m:ss or h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(9.4)).toBe('0:09');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Infinity)).toBe('?');
    expect(formatDuration(-1)).toBe('?');
  });
  it('formats rates with about 3 significant digits', () => {
    expect(formatRate(0)).toBe('0');
    expect(formatRate(0.1234)).toBe('0.123');
    expect(formatRate(3.1)).toBe('3.10');
    expect(formatRate(45.25)).toBe('45.3');
    expect(formatRate(1234.4)).toBe('1234');
  });
});

describe('createProgress', () => {
  it('TTY: redraws one line with \\r, bar, count, rate and ETA; done() ends the line', () => {
    const s = sink(true);
    const c = clock();
    const p = createProgress({ total: 4, label: 'up', unit: 'tiles', stream: s, now: c.now, barWidth: 4 });
    c.advance(500);
    p.tick(); // rate is measured from here on
    c.advance(1000);
    p.tick(1, 'img 1');
    const out = s.text();
    expect(out.startsWith('\r')).toBe(true);
    expect(out).not.toContain('\n');
    const last = out.split('\r').pop() as string;
    expect(last).toBe('up  [##..]  2/4 tiles  1.00 tiles/s  ETA 0:02  img 1');
    c.advance(2000);
    p.tick(2);
    p.done();
    const final = s.text().split('\r').pop() as string;
    expect(final).toMatch(/^up {2}\[####\] {2}4\/4 tiles {2}1\.00 tiles\/s {2}in 0:04 {2}img 1 *\n$/);
    p.tick(); // after done: ignored
    expect(s.text().endsWith('\n')).toBe(true);
    expect(p.state().done).toBe(4);
  });

  it('TTY: throttles redraws and blanks out a longer previous line', () => {
    const s = sink(true);
    const c = clock();
    const p = createProgress({ total: 100, stream: s, now: c.now, redrawMs: 100 });
    p.tick(1, 'a long extra text');
    const n1 = s.text().split('\r').length;
    p.tick(1); // same instant: no redraw
    expect(s.text().split('\r').length).toBe(n1);
    c.advance(150);
    p.tick(1, '');
    const last = s.text().split('\r').pop() as string;
    expect(last.trimEnd()).not.toContain('long');
    expect(last.length).toBeGreaterThanOrEqual('a long extra text'.length);
  });

  it('not a TTY: plain lines at most every plainEveryMs, and always a final line', () => {
    const s = sink(false);
    const c = clock();
    const p = createProgress({ total: 10, label: 'train', unit: 'steps', stream: s, now: c.now, plainEveryMs: 5000 });
    for (let i = 0; i < 10; i++) {
      c.advance(1000);
      p.tick();
    }
    p.done('loss 0.1');
    const lines = s.text().split('\n').filter(Boolean);
    expect(s.text()).not.toContain('\r');
    expect(lines.length).toBe(3); // first tick, 5 s later, final
    expect(lines[2]).toMatch(/^train {2}\[#+\] {2}10\/10 steps {2}1\.00 steps\/s {2}in 0:10 {2}loss 0\.1$/);
  });

  it('unknown total: no bar and no ETA', () => {
    const s = sink(false);
    const c = clock();
    const p = createProgress({ unit: 'images', stream: s, now: c.now });
    c.advance(2000);
    p.tick(4);
    expect(s.text()).toBe('4 images  2.00 images/s\n');
    expect(p.state().etaSec).toBeNull();
  });

  it('set() jumps the count without changing the measured rate', () => {
    const c = clock();
    const p = createProgress({ total: 100, stream: sink(false), now: c.now });
    p.tick();
    c.advance(1000);
    p.tick(2);
    expect(p.state().rate).toBeCloseTo(2, 12);
    p.set(50);
    expect(p.state().done).toBe(50);
    expect(p.state().rate).toBeCloseTo(2, 12);
    expect(p.state().etaSec).toBeCloseTo(25, 12);
  });

  it('a bar made after work began: set() before any tick is not counted as fast work', () => {
    const c = clock();
    const p = createProgress({ total: 600, stream: sink(false), now: c.now });
    p.set(10); // 10 steps ran before the bar existed
    expect(p.state().rate).toBe(0); // unknown, not 10 steps in 0 s
    c.advance(2000);
    p.tick(10);
    expect(p.state().rate).toBeCloseTo(5, 12); // 10 steps in the 2 s since creation
    c.advance(1000);
    p.tick(10);
    expect(p.state().rate).toBeCloseTo(10, 12); // measured from the first tick
  });
});
