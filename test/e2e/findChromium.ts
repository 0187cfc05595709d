import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A Chromium to launch: where it is, where it came from, and the extra flags and environment it needs. */
export interface ChromiumChoice {
  executablePath: string;
  source: 'E2E_CHROMIUM_PATH' | 'installed' | '@sparticuz/chromium';
  args: string[];
  env?: Record<string, string>;
}

const howToProvide =
  'set E2E_CHROMIUM_PATH to a Chrome, Chromium or Edge executable, or install one (Linux: apt-get install chromium), or run npm ci on Linux x64 so the @sparticuz/chromium dev dependency brings its own';

/** Where Chrome, Chromium and Edge install themselves on Linux, macOS and Windows, in order of preference. */
export function installedBrowserPaths(platform = process.platform, env = process.env): string[] {
  if (platform === 'darwin') {
    return [
      'Google Chrome.app/Contents/MacOS/Google Chrome',
      'Chromium.app/Contents/MacOS/Chromium',
      'Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ].flatMap((app) => [path.join('/Applications', app), path.join(os.homedir(), 'Applications', app)]);
  }
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter((r): r is string => !!r);
    return [
      'Google\\Chrome\\Application\\chrome.exe',
      'Chromium\\Application\\chrome.exe',
      'Microsoft\\Edge\\Application\\msedge.exe',
    ].flatMap((exe) => roots.map((root) => path.win32.join(root, exe)));
  }
  return [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/snap/bin/chromium',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/opt/google/chrome/chrome',
    '/usr/bin/microsoft-edge',
    '/usr/bin/microsoft-edge-stable',
    '/opt/microsoft/msedge/msedge',
  ];
}

/**
 * Flags from @sparticuz/chromium's recommended set, less those that switch off what the admin page's tests
 * check (same-origin policy, mixed content: the page is tested with the browser's protections on) and
 * --single-process, under which closing one browser context ends the whole browser (the suite opens several).
 */
const droppedSparticuzArgs = new Set([
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--single-process',
]);
function sparticuzArgs(recommended: string[]): string[] {
  return recommended.filter((a) => !droppedSparticuzArgs.has(a));
}

/**
 * Unpacks the Chromium that @sparticuz/chromium ships inside its npm package (Linux x64 only) into a
 * directory of its own under the temporary directory, once per package version. The package unpacks into
 * os.tmpdir() and reuses whatever it finds there, so it is pointed at a fresh staging directory that is
 * renamed into place when complete: an interrupted unpack or a second test run at the same time never leaves a
 * half-written browser behind. Nothing is downloaded: the binary is in node_modules.
 */
async function unpackSparticuz(): Promise<ChromiumChoice | undefined> {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  let pkgDir: string;
  try {
    // The package's exports map hides package.json: resolve its entry point (build/cjs/index.cjs) and go up.
    pkgDir = path.resolve(path.dirname(require.resolve('@sparticuz/chromium')), '..', '..');
  } catch {
    return undefined;
  }
  const version = (JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  const { default: sparticuz } = await import('@sparticuz/chromium');
  const target = path.join(os.tmpdir(), `cloud-pki-alerts-e2e-chromium-${version}`);
  const executablePath = path.join(target, 'chromium');
  if (!fs.existsSync(executablePath)) {
    const staging = `${target}.partial-${process.pid}-${randomUUID().slice(0, 8)}`;
    fs.mkdirSync(staging, { recursive: true });
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = staging; // os.tmpdir() reads it on every call
    try {
      await sparticuz.executablePath(path.join(pkgDir, 'bin'));
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    // The package's own fonts.conf names /tmp/fonts; this one keeps the system's fonts and adds the packaged ones.
    fs.writeFileSync(
      path.join(staging, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n  <dir>${path.join(target, 'fonts')}</dir>\n  <cachedir>${path.join(target, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    try {
      fs.renameSync(staging, target);
    } catch (err) {
      // Another run finished first: use its copy.
      fs.rmSync(staging, { recursive: true, force: true });
      if (!fs.existsSync(executablePath)) throw err;
    }
  }
  return {
    executablePath,
    source: '@sparticuz/chromium',
    args: sparticuzArgs(sparticuz.args),
    env: { FONTCONFIG_FILE: path.join(target, 'fonts.conf') },
  };
}

/**
 * The Chromium the end-to-end tests use: E2E_CHROMIUM_PATH; else an installed Chrome, Chromium or Edge;
 * else the one inside the @sparticuz/chromium dev dependency. Throws one line saying how to provide one.
 */
export async function findChromium(): Promise<ChromiumChoice> {
  const configured = process.env.E2E_CHROMIUM_PATH;
  if (configured) {
    if (!fs.existsSync(configured))
      throw new Error(
        `E2E_CHROMIUM_PATH=${configured} does not exist: point it at a Chrome, Chromium or Edge executable, or unset it to use an installed browser or @sparticuz/chromium.`,
      );
    return { executablePath: configured, source: 'E2E_CHROMIUM_PATH', args: [] };
  }
  const installed = installedBrowserPaths().find((p) => fs.existsSync(p));
  if (installed) return { executablePath: installed, source: 'installed', args: [] };
  const packaged = await unpackSparticuz();
  if (packaged) return packaged;
  throw new Error(`No Chromium for the end-to-end tests on ${process.platform}-${process.arch}: ${howToProvide}.`);
}
