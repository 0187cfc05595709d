import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, brokenReason, linksOf, markdownPages, root } from './markdown';

describe('relative links in README.md and docs/', () => {
  const pages = markdownPages();

  it('finds the pages', () => {
    expect(pages).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/architecture.md',
        'docs/configuration.md',
        'docs/reference/graph-audit-events.md',
      ]),
    );
    expect(pages.filter((p) => p.startsWith('docs/')).length).toBeGreaterThanOrEqual(6);
  });

  it.each(pages)('%s: every relative link and anchor resolves', (page) => {
    const links = linksOf(page, readFileSync(path.join(root, page), 'utf8'));
    const broken = links.flatMap((l) => {
      const reason = brokenReason(l);
      return reason ? [`${page}:${l.line} (${l.target}): ${reason}`] : [];
    });
    expect(broken).toEqual([]);
  });
});

// The checker itself, so a link test that passes means something.
describe('link checker', () => {
  it('builds GitHub anchors, numbering repeats and ignoring code blocks', () => {
    const anchors = anchorsOf(
      '# Title\n## Change windows (silences)\n## PagerDuty (`type: pagerduty`)\n## 2A. Deploy with `azd up`\n## Title\n```\n# not a heading\n```\n',
    );
    expect([...anchors]).toEqual([
      'title',
      'change-windows-silences',
      'pagerduty-type-pagerduty',
      '2a-deploy-with-azd-up',
      'title-1',
    ]);
  });

  it('reports a missing file, a missing anchor and a link out of the repository; skips external links and code', () => {
    const text =
      '[a](missing.md) [b](architecture.md#no-such-heading) [c](../../x.md) [d](https://example.com/x.md) `[e](gone.md)` [f](#quick-start)\n```\n[g](gone.md)\n```\n';
    const links = linksOf('docs/page.md', text);
    expect(links.map((l) => l.target)).toEqual([
      'missing.md',
      'architecture.md#no-such-heading',
      '../../x.md',
      'https://example.com/x.md',
      '#quick-start',
    ]);
    expect(links.map((l) => brokenReason(l))).toEqual([
      'docs/missing.md does not exist',
      'docs/architecture.md has no heading #no-such-heading',
      'points outside the repository (../x.md)',
      undefined,
      'docs/page.md does not exist',
    ]);
    expect(brokenReason({ page: 'README.md', line: 1, target: '#quick-start' })).toBeUndefined();
    expect(brokenReason({ page: 'README.md', line: 1, target: 'docs/configuration.md#settings' })).toBeUndefined();
  });
});
