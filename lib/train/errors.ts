/**
 * Errors the training engines raise, as classes (not strings to be parsed): a worker thread sends
 * `serializeError(err)` and the pool rebuilds the same class with `deserializeError`, so the trainer can
 * `instanceof`-check what went wrong wherever the step ran.
 */

/** A loss term (or the sum) became NaN/Inf. The weights of that step were not applied (pool) or are suspect. */
export class NonFiniteLossError extends Error {
  /** `message` replaces the default "non-finite loss term 'x' = NaN" (e.g. with the step and checkpoint). */
  constructor(readonly term: string, readonly value: string, message?: string) {
    super(message ?? `non-finite loss term '${term}' = ${value}`);
    this.name = 'NonFiniteLossError';
  }
}

/** A gradient value became NaN/Inf (checked before the optimiser step on the worker-pool engine). */
export class NonFiniteGradientError extends Error {
  constructor(readonly index: number, readonly value: string) {
    super(`non-finite gradient at flat index ${index} (${value})`);
    this.name = 'NonFiniteGradientError';
  }
}

/** What crosses a thread boundary for an error. */
export type SerializedError =
  | { readonly kind: 'non-finite-loss'; readonly term: string; readonly value: string; readonly message: string }
  | { readonly kind: 'non-finite-gradient'; readonly index: number; readonly value: string; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof NonFiniteLossError) return { kind: 'non-finite-loss', term: e.term, value: e.value, message: e.message };
  if (e instanceof NonFiniteGradientError) return { kind: 'non-finite-gradient', index: e.index, value: e.value, message: e.message };
  const err = e as Error;
  return { kind: 'error', message: err && err.message ? err.message : String(e) };
}

/** Rebuilds the error class; `where` (e.g. 'worker 1') prefixes plain errors' messages. */
export function deserializeError(s: SerializedError, where: string): Error {
  switch (s.kind) {
    case 'non-finite-loss': return new NonFiniteLossError(s.term, s.value, `${where}: ${s.message}`);
    case 'non-finite-gradient': return new NonFiniteGradientError(s.index, s.value);
    default: return new Error(`${where}: ${s.message}`);
  }
}
