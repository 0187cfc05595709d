/**
 * `*` wildcard patterns (the only wildcard; every other character is literal), compared case-insensitively.
 *
 * Not compiled to regular expressions on purpose: event text is attacker-influenced (a CA name, a UPN), and a
 * pattern such as `*a*a*a*a*b` would make a backtracking regex take exponential time. The greedy split
 * matcher below is linear in the value for each pattern part and needs no escaping.
 */
export type WildcardMatcher = (value: string | null) => boolean;

const controlChars = /[\u0000-\u001f\u007f]/;

/** Why a pattern is unusable, or undefined when it is fine. Used by the rule validator. */
export function patternProblem(pattern: string, options: { allowMatchAll?: boolean } = {}): string | undefined {
  if (controlChars.test(pattern)) return 'must not contain control characters';
  if (!options.allowMatchAll && /^\*+$/.test(pattern)) return 'matches everything; omit the condition instead';
  return undefined;
}

type LowerMatcher = (lower: string) => boolean;

/** One `*` pattern over an already lower-cased value: prefix, then each middle part leftmost, then suffix. */
function compilePattern(pattern: string): LowerMatcher {
  const parts = pattern.toLowerCase().split('*');
  const prefix = parts[0];
  const suffix = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((p) => p.length > 0);
  const minLength = prefix.length + suffix.length;
  if (middle.length === 0) return (v) => v.length >= minLength && v.startsWith(prefix) && v.endsWith(suffix);
  return (v) => {
    if (v.length < minLength || !v.startsWith(prefix) || !v.endsWith(suffix)) return false;
    let at = prefix.length;
    const end = v.length - suffix.length;
    for (const part of middle) {
      const found = v.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

/** Compiles exact values and `*` patterns into one case-insensitive matcher; null never matches. */
export function compileWildcards(patterns: readonly string[]): WildcardMatcher {
  const exact = new Set<string>();
  const globs: LowerMatcher[] = [];
  for (const p of patterns) {
    if (p.includes('*')) globs.push(compilePattern(p));
    else exact.add(p.toLowerCase());
  }
  if (globs.length === 0) return (value) => value !== null && exact.has(value.toLowerCase());
  return (value) => {
    if (value === null) return false;
    const lower = value.toLowerCase();
    if (exact.has(lower)) return true;
    for (const g of globs) if (g(lower)) return true;
    return false;
  };
}

/** Case-insensitive exact membership (ids, categories, operation types). */
export function compileExact(values: readonly string[]): WildcardMatcher {
  const set = new Set(values.map((v) => v.toLowerCase()));
  return (value) => value !== null && set.has(value.toLowerCase());
}
