// Pure JSON comparison, shared by the server and the browser bundle (the rule history view): no imports.

/** A JSON object (not an array, not null). */
export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON with sorted keys and `undefined` dropped: equal documents give equal text. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (!isPlainObject(v)) return v;
    return Object.fromEntries(
      Object.keys(v)
        .filter((k) => v[k] !== undefined)
        .sort()
        .map((k) => [k, sort(v[k])]),
    );
  };
  return JSON.stringify(sort(value)) ?? 'undefined';
}

/** One field that differs; lists are compared as a whole. */
export interface FieldChange {
  field: string;
  before?: unknown;
  after?: unknown;
}

/** Field-level differences between two documents (nested objects by path, e.g. `threshold.count`). Pure. */
export function diffFields(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffFields(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (canonicalJson(before) === canonicalJson(after)) return [];
  return [
    {
      field: path || '(document)',
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
    },
  ];
}
