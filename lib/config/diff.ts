/** Which keys differ between two configs (dotted paths; arrays compare as whole values). */

export type ConfigChange = { readonly key: string; readonly before: unknown; readonly after: unknown };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue(a[k], b[k]));
  }
  return Object.is(a, b) || a === b;
}

/**
 * The leaf keys whose values differ, e.g. [{ key: 'optim.learningRate', before: 1e-4, after: 2e-4 }]. Objects
 * are walked (a key missing on one side counts as `undefined`); a method of another kind or a backbone of
 * another arch is still reported key by key. Sorted by key.
 */
export function diffConfigs(before: unknown, after: unknown, prefix = ''): ConfigChange[] {
  const out: ConfigChange[] = [];
  const walk = (a: unknown, b: unknown, key: string): void => {
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], key ? `${key}.${k}` : k);
      return;
    }
    if (!sameValue(a, b)) out.push({ key, before: a, after: b });
  };
  walk(before, after, prefix);
  return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** e.g. "optim.learningRate: 0.0001 -> 0.0002, seed: 0 -> 1". */
export function formatChanges(changes: readonly ConfigChange[]): string {
  const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));
  return changes.map((c) => `${c.key}: ${show(c.before)} -> ${show(c.after)}`).join(', ');
}
