/**
 * Seeded random numbers whose whole state is four uint32 words, so it can be saved in a checkpoint
 * and restored exactly (xoshiro128**, Blackman & Vigna 2018; seeded through splitmix32).
 */
export type RngState = readonly [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s: Uint32Array;
  private spareNormal: number | null = null;

  constructor(seed: number | RngState) {
    this.s = new Uint32Array(4);
    if (typeof seed === 'number') {
      if (!Number.isInteger(seed)) throw new Error(`Rng seed must be an integer (got ${seed})`);
      const sm = splitmix32(seed);
      for (let i = 0; i < 4; i++) this.s[i] = sm();
    } else {
      if (seed.length !== 4 || seed.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
        throw new Error(`Rng state must be four uint32 words (got ${JSON.stringify(seed)})`);
      }
      this.s.set(seed);
    }
    if (this.s.every((w) => w === 0)) this.s[0] = 1; // the all-zero state is a fixed point
  }

  /** A uniformly random uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) throw new Error(`Rng.int needs an integer 1..2^32 (got ${n})`);
    // Rejection sampling keeps it unbiased.
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller; the spare value is part of the state). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A new independent generator derived from this one's next outputs (advances this one). */
  fork(): Rng {
    return new Rng([this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32()]);
  }

  /** The full state; `Rng.restore(state)` continues the exact same sequence. */
  save(): { words: RngState; spareNormal: number | null } {
    return { words: [this.s[0], this.s[1], this.s[2], this.s[3]], spareNormal: this.spareNormal };
  }

  static restore(state: { words: RngState; spareNormal: number | null }): Rng {
    const r = new Rng(state.words);
    r.spareNormal = state.spareNormal;
    return r;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
