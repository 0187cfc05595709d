const markdownEscape = /\\([\\`*_{}[\]()#+\-.!|<>~])/g;

/**
 * The card with its TextBlock escapes resolved (what Teams displays: it renders Markdown in TextBlocks, the
 * preview renders plain text), every other value untouched. TextRuns (event data) are never changed.
 */
export function asDisplayed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asDisplayed);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = asDisplayed(v);
  if (out.type === 'TextBlock' && typeof out.text === 'string') out.text = out.text.replace(markdownEscape, '$1');
  return out;
}
