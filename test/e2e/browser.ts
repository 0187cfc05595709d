import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findChromium } from './findChromium';

/** Screenshots land here (test-artifacts/ is ignored by git). */
export const screenshotDir = path.join(__dirname, '..', '..', 'test-artifacts', 'screenshots');

/**
 * Launches headless Chromium (see findChromium for which one) with a fresh profile (Playwright gives every
 * launch its own temporary user-data-dir). Fails, never skips, when no Chromium can be had.
 */
export async function launchChromium(): Promise<Browser> {
  const found = await findChromium();
  const args = [
    ...new Set([
      ...found.args,
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ]),
  ];
  return chromium.launch({
    executablePath: found.executablePath,
    headless: true,
    args,
    env: found.env ? { ...process.env, ...found.env } : undefined,
  });
}

/** Console messages that report a Content-Security-Policy violation, and uncaught page errors. */
export function watchPage(page: Page): { cspViolations: string[]; pageErrors: string[] } {
  const found = { cspViolations: [] as string[], pageErrors: [] as string[] };
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to (apply|load|execute|connect)/i.test(msg.text()))
      found.cspViolations.push(msg.text());
  });
  page.on('pageerror', (err) => found.pageErrors.push(String(err)));
  return found;
}

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays as it is) and
 * returns the serious and critical violations.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(`${axeSource};0`);
  const result = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Full-page screenshots of the current view at 1280 and 390 px wide, into test-artifacts/screenshots/. */
export async function screenshots(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: path.join(screenshotDir, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}
