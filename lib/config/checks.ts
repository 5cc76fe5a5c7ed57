/**
 * The one set of config checks (train configs, method records, backbone records). Every check throws an
 * error that names the key and the value at fault, e.g. "method.augProb must be a number in [0, 1] (got 1.5)".
 */

/** A check of one value; `key` is its full dotted path, used in the error. */
export type Check = (key: string, v: unknown) => void;

export function fail(key: string, want: string, got: unknown): never {
  throw new Error(`${key} must be ${want} (got ${JSON.stringify(got)})`);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An integer >= min. */
export function int(key: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(key, `an integer >= ${min}`, v);
}

export const posInt: Check = (k, v) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(k, 'a positive integer', v);
};
export const finite: Check = (k, v) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(k, 'a finite number', v);
};
/** A loss weight: finite and >= 0. */
export const weight: Check = (k, v) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(k, 'a finite number >= 0', v);
};
export const positive: Check = (k, v) => {
  finite(k, v);
  if ((v as number) <= 0) fail(k, '> 0', v);
};
export const bool: Check = (k, v) => {
  if (typeof v !== 'boolean') fail(k, 'true or false', v);
};
/** A probability in [0, 1]. */
export const prob: Check = (k, v) => {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(k, 'a number in [0, 1]', v);
};
/** In [0, 1): decays, Adam betas. */
export const unit: Check = (k, v) => {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(k, 'a number in [0, 1)', v);
};
export const nullableString: Check = (k, v) => {
  if (v !== null && (typeof v !== 'string' || v.length === 0)) fail(k, 'a non-empty string or null', v);
};

/** One of the listed literal values. */
export function oneOf<T>(values: readonly T[]): Check {
  const names = values.map((x) => JSON.stringify(x).replace(/"/g, "'"));
  const want = names.length === 2 ? `${names[0]} or ${names[1]}` : `one of ${names.join(', ')}`;
  return (k, v) => {
    if (!(values as readonly unknown[]).includes(v)) fail(k, want, v);
  };
}

/** A non-empty array whose items pass `item`. */
export function arrayOf(item: Check): Check {
  return (k, v) => {
    if (!Array.isArray(v) || v.length === 0) fail(k, 'a non-empty array', v);
    (v as unknown[]).forEach((x, i) => item(`${k}[${i}]`, x));
  };
}

/** A record's schema: one check per key (the discriminating key, e.g. `kind`, is checked by the caller). */
export type Schema<C> = { readonly [K in keyof C]-?: Check };

/**
 * Checks `obj` against `schema`: unknown keys, missing keys and bad values are errors naming `path.key`.
 * `skip` keys are left to the caller (e.g. the discriminant).
 */
export function checkRecord(obj: Record<string, unknown>, schema: Readonly<Record<string, Check>>, path: string, what: string, skip: readonly string[] = []): void {
  for (const key of Object.keys(obj)) {
    if (!skip.includes(key) && !(key in schema)) {
      const keys = Object.keys(schema).join(', ') || 'none';
      fail(`${path}.${key}`, `absent (not a key of ${what}; keys: ${keys})`, obj[key]);
    }
  }
  for (const [key, check] of Object.entries(schema)) {
    if (!(key in obj)) throw new Error(`${path}.${key} is missing (${what} needs it)`);
    check(`${path}.${key}`, obj[key]);
  }
}
