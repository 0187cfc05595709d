import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findChromium, installedBrowserPaths } from './findChromium';

describe('findChromium (which browser the end-to-end tests launch)', () => {
  const saved = process.env.E2E_CHROMIUM_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.E2E_CHROMIUM_PATH;
    else process.env.E2E_CHROMIUM_PATH = saved;
  });

  it('takes E2E_CHROMIUM_PATH first, with no extra flags', async () => {
    const exe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-find-')), 'my-chrome');
    fs.writeFileSync(exe, '');
    process.env.E2E_CHROMIUM_PATH = exe;
    expect(await findChromium()).toEqual({ executablePath: exe, source: 'E2E_CHROMIUM_PATH', args: [] });
  });

  it('fails with one line naming the setting when E2E_CHROMIUM_PATH points nowhere (no fallback)', async () => {
    process.env.E2E_CHROMIUM_PATH = '/nonexistent/chromium';
    const err = await findChromium().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /^E2E_CHROMIUM_PATH=\/nonexistent\/chromium does not exist: point it at a Chrome, Chromium or Edge executable/,
    );
    expect(err?.message).not.toContain('\n');
  });

  it.each([
    ['linux', '/usr/bin/chromium'],
    ['linux', '/opt/google/chrome/chrome'],
    ['linux', '/opt/microsoft/msedge/msedge'],
    ['darwin', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'],
    ['darwin', '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge'],
    ['win32', 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe'],
    ['win32', 'C:\\Users\\me\\AppData\\Local\\Microsoft\\Edge\\Application\\msedge.exe'],
  ] as const)('looks for an installed browser on %s at %s', (platform, expected) => {
    const env = {
      PROGRAMFILES: 'C:\\Program Files',
      'PROGRAMFILES(X86)': 'C:\\Program Files (x86)',
      LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local',
    };
    expect(installedBrowserPaths(platform, env)).toContain(expected);
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')(
    'on Linux x64 always finds one (installed, or the Chromium inside @sparticuz/chromium)',
    async () => {
      delete process.env.E2E_CHROMIUM_PATH;
      const found = await findChromium();
      expect(fs.existsSync(found.executablePath)).toBe(true);
      if (found.source === '@sparticuz/chromium') expect(found.args).not.toContain('--disable-web-security');
    },
    120_000,
  );
});
