import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/config';
import { appSettings } from '../config/settings';
import { ConfigError } from '../shared/errors';
import { startAzuriteQueues } from './azuriteQueues';
import { startAzuriteTables } from './azuriteTables';
import { cloudPkiScenario, liveCloudPkiEvent } from './cloudPkiScenario';
import { createEasyAuthStandIn, type EasyAuthStandIn } from './easyAuthStandIn';
import { describeError, startFunctionsHost, type FunctionsHost } from './functionsHost';
import { GraphSimulator } from './graphSimulator';
import { shiftEvents } from './shiftEvents';
import {
  parseTenantCount,
  registerTenants,
  type SimulatedTenantInfo,
  simulatedTenants,
  startTenantGraph,
} from './simulatedTenants';
import { createLocalInbox, INBOX_POST_PATH, INBOX_VIEW_PATH } from './localInbox';
import { describeEvent, formatShift, isListening, parseDrip, parseMode, resolvePort } from './startOptions';

/**
 * `npm start`: runs the compiled functions on the local host (Core Tools cannot be installed here), with
 * whatever Azure parts are not configured replaced by local ones: Azurite Tables in process, the Graph
 * simulator with a Cloud PKI scenario, and the local inbox instead of Teams.
 */

const AZURITE_TABLE_PORT = 10002; // where `UseDevelopmentStorage=true` points
const AZURITE_QUEUE_PORT = 10001; // its queue endpoint
type Cleanup = () => Promise<void> | void;

async function main(): Promise<void> {
  const cleanups: Cleanup[] = [];
  const root = projectRoot(__dirname);
  const settings = loadLocalSettings(path.join(root, 'local.settings.json'));
  const port = await resolvePort(process.env.PORT);
  const origin = `http://127.0.0.1:${port}`;

  const storage = await setUpStorage(cleanups);
  const graph = await setUpGraph(cleanups);
  const useInbox = !process.env.TEAMS_WEBHOOK_URL?.trim();
  if (useInbox && !process.env.LOCAL_INBOX_URL) process.env.LOCAL_INBOX_URL = `${origin}${INBOX_POST_PATH}`;
  // The Functions host has no defaults for %SETTING% in bindings; ours live in settings.ts.
  const scheduleDefault = appSettings.find((s) => s.name === 'TIMER_SCHEDULE')?.default;
  const scheduleIsDefault = !process.env.TIMER_SCHEDULE && scheduleDefault !== undefined;
  if (scheduleIsDefault) process.env.TIMER_SCHEDULE = scheduleDefault;

  // Entra mode: the local stand-in plays App Service Authentication (and injects the platform's variables)
  // before the configuration and the function modules read the environment.
  const easyAuth = setUpEasyAuth(origin);

  // Fail fast and readably: every run would otherwise fail the same way, once a minute.
  loadConfig(process.env);
  // Registered before the host starts, so whichever timer run comes first (a minute boundary may fall in
  // the start-up) dispatches them.
  if (simulated.length > 0) await registerTenants(simulated);

  // Admin routes need a key locally too, as function keys guard them in Azure.
  const adminKeyGenerated = !process.env.LOCAL_ADMIN_KEY?.trim();
  const adminKey = adminKeyGenerated ? randomBytes(18).toString('base64url') : process.env.LOCAL_ADMIN_KEY!.trim();

  const inbox = useInbox ? createLocalInbox({ log: (line) => console.log(line) }) : undefined;
  const functionsDir = path.join(__dirname, '..', 'functions');
  const host = await startFunctionsHost({
    port,
    functionModules: listFunctionModules(functionsDir),
    extraRoutes: [...(inbox?.routes ?? []), ...(easyAuth.standIn?.routes ?? [])],
    log: (line) => console.log(line),
    functionKey: adminKey,
    requestHeaders: easyAuth.standIn?.requestHeaders,
  });
  cleanups.unshift(() => host.close());

  const channel = useInbox
    ? `local inbox: cards are POSTed to ${process.env.LOCAL_INBOX_URL}, read them at ${origin}${INBOX_VIEW_PATH}`
    : 'Microsoft Teams (Workflows webhook from TEAMS_WEBHOOK_URL; the URL is a secret and is not shown)';
  const auth =
    easyAuth.banner ??
    `admin routes need the local key: header "x-functions-key: ${adminKey}" (or ?code=)${adminKeyGenerated ? ', generated for this run; set LOCAL_ADMIN_KEY to fix it' : ' from LOCAL_ADMIN_KEY'}`;
  printBanner({
    settings,
    storage,
    graph,
    channel,
    auth,
    host,
    functionsDir,
    scheduleIsDefault,
    entra: easyAuth.entra,
  });
  handleSignals(cleanups);

  if (simulated.length > 0) {
    // The first dispatch now, not at the next minute: every simulated tenant is polled right away.
    host.runTimer('pollAuditEvents').catch(() => undefined);
  }
  if (/^(true|1)$/i.test(process.env.RUN_ON_START ?? '')) {
    for (const fn of host.functions.filter((f) => f.trigger === 'timer')) host.runTimer(fn.name).catch(() => undefined); // failures are logged by the host
  }
}

function loadLocalSettings(file: string): string {
  if (!fs.existsSync(file)) return 'no local.settings.json: defaults and environment variables only';
  let parsed: { IsEncrypted?: unknown; Values?: Record<string, unknown> };
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as typeof parsed;
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (parsed.IsEncrypted === true)
    throw new Error(`${file} is encrypted (IsEncrypted: true); the local host reads plain values only`);
  let applied = 0;
  const kept: string[] = [];
  for (const [name, value] of Object.entries(parsed.Values ?? {})) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      console.warn(`local.settings.json: Values.${name} is not a string; ignored`);
    } else if (process.env[name] !== undefined) {
      kept.push(name); // like Core Tools: the environment wins
    } else {
      process.env[name] = String(value);
      applied++;
    }
  }
  return `local.settings.json: ${applied} value(s) applied${kept.length ? `; already set in the environment, kept: ${kept.join(', ')}` : ''}`;
}

async function setUpStorage(cleanups: Cleanup[]): Promise<string> {
  if (process.env.TABLES_SERVICE_URI) return `Azure Table Storage ${process.env.TABLES_SERVICE_URI} (identity-based)`;
  const connection = process.env.AzureWebJobsStorage?.trim();
  if (connection && !/^UseDevelopmentStorage=true;?$/i.test(connection)) {
    const account = /AccountName=([^;]+)/i.exec(connection)?.[1];
    const endpoint = /TableEndpoint=([^;]+)/i.exec(connection)?.[1];
    return `storage account ${account ?? '(unnamed)'}${endpoint ? ` at ${endpoint}` : ''} from AzureWebJobsStorage`;
  }
  process.env.AzureWebJobsStorage = 'UseDevelopmentStorage=true';
  // Tables (10002) and Queues (10001, the tenant poll queue) each: an existing emulator there is used as is.
  const parts: string[] = [];
  if (await isListening(AZURITE_TABLE_PORT))
    parts.push(`existing Azurite Tables (assumed) on 127.0.0.1:${AZURITE_TABLE_PORT}`);
  else {
    const tables = await startAzuriteTables({ host: '127.0.0.1', port: AZURITE_TABLE_PORT });
    cleanups.push(() => tables.close());
    parts.push(`in-process Azurite Tables on ${tables.url}`);
  }
  if (await isListening(AZURITE_QUEUE_PORT))
    parts.push(`existing Azurite Queues (assumed) on 127.0.0.1:${AZURITE_QUEUE_PORT}`);
  else {
    const queues = await startAzuriteQueues({ host: '127.0.0.1', port: AZURITE_QUEUE_PORT });
    cleanups.push(() => queues.close());
    parts.push(`in-process Azurite Queues on ${queues.url}`);
  }
  const inProcess = parts.some((p) => p.startsWith('in-process'));
  return `${parts.join(', ')} (UseDevelopmentStorage=true${inProcess ? '; in process = in memory: state is lost on exit' : ''})`;
}

/** The tenants SIMULATOR_TENANTS made up (none without it). */
let simulated: SimulatedTenantInfo[] = [];

async function setUpGraph(cleanups: Cleanup[]): Promise<string> {
  const env = process.env;
  const hasCredentials = Boolean(
    env.AZURE_CLIENT_SECRET || env.AZURE_CLIENT_CERTIFICATE_PATH || env.IDENTITY_ENDPOINT || env.MSI_ENDPOINT,
  );
  if (env.GRAPH_BASE_URL || hasCredentials) {
    const baseUrl = env.GRAPH_BASE_URL || 'https://graph.microsoft.com';
    if (!/^https:\/\/graph\.microsoft\.com\/?$/i.test(baseUrl))
      return `${baseUrl} (not Microsoft Graph: used as a simulator, no token)`;
    const signIn = env.AZURE_CLIENT_SECRET
      ? 'client secret'
      : env.AZURE_CLIENT_CERTIFICATE_PATH
        ? 'client certificate'
        : 'managed identity';
    return `Microsoft Graph, tenant ${env.AZURE_TENANT_ID ?? '(AZURE_TENANT_ID not set)'}, sign-in: ${signIn}`;
  }
  const now = new Date();
  const mode = parseMode(env.SIMULATOR_MODE);
  const file = env.SIMULATOR_EVENTS_FILE?.trim();
  const tenantCount = parseTenantCount(env.SIMULATOR_TENANTS);
  if (tenantCount > 0) {
    // Many tenants: one Graph stand-in routing by the tenant the token names (every tenant in SIMULATOR_MODE;
    // the home one serves SIMULATOR_EVENTS_FILE if set); registered before the host starts (registerTenants).
    const tenants = simulatedTenants(tenantCount);
    const home = file ? shiftEvents(GraphSimulator.loadEventsFile(file), now).events : undefined;
    const tenantGraph = await startTenantGraph(env.AZURE_TENANT_ID?.trim().toLowerCase() || 'simulator', tenants, now, {
      ownApplicationId: env.AZURE_CLIENT_ID,
      mode,
      homeEvents: home,
    });
    cleanups.push(() => tenantGraph.close());
    env.GRAPH_BASE_URL = tenantGraph.baseUrl;
    simulated = tenants;
    return `SIMULATED Microsoft Graph at ${tenantGraph.baseUrl} for the home tenant${home ? ` (${file})` : ''} and ${tenantCount} more (SIMULATOR_TENANTS${mode === 'strict' ? '' : `, server mode ${mode}`}): ${tenants.map((t) => t.displayName).join(', ')}; no live events`;
  }
  // A real incident's export replaces the made-up scenario, moved so its last event is a minute old.
  const exported = file ? shiftEvents(GraphSimulator.loadEventsFile(file), now) : undefined;
  const events =
    exported?.events ??
    cloudPkiScenario({ now, seed: 1, ...(env.AZURE_CLIENT_ID ? { ownApplicationId: env.AZURE_CLIENT_ID } : {}) });
  const simulator = await GraphSimulator.start({ events, mode });
  cleanups.push(() => simulator.close());
  env.GRAPH_BASE_URL = simulator.baseUrl;
  const modeText = mode === 'strict' ? '' : ` (server mode ${mode})`;
  if (exported) {
    const shift = `${exported.shiftInMs >= 0 ? '+' : '-'}${formatShift(Math.abs(exported.shiftInMs))}`;
    return `SIMULATED Microsoft Graph at ${simulator.baseUrl}${modeText}: ${simulator.eventCount} events from ${file} (SIMULATOR_EVENTS_FILE), shifted ${shift} so the last is a minute old; no live events`;
  }
  const dripSeconds = parseDrip(env.SIMULATOR_DRIP_SECONDS);
  if (dripSeconds > 0) {
    let seed = 1000;
    const drip = setInterval(() => {
      const event = liveCloudPkiEvent({ now: new Date(), seed: seed++ });
      simulator.addEvents([event]);
      console.log(
        `[simulator] ${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')} new audit event: ${describeEvent(event)}`,
      );
    }, dripSeconds * 1000);
    cleanups.push(() => clearInterval(drip));
  }
  const drip =
    dripSeconds > 0
      ? `, +1 live event every ${dripSeconds} s (SIMULATOR_DRIP_SECONDS)`
      : ', no live events (SIMULATOR_DRIP_SECONDS=0)';
  return `SIMULATED Microsoft Graph at ${simulator.baseUrl}${modeText}: ${simulator.eventCount} made-up Cloud PKI audit events${drip}`;
}

/**
 * ADMIN_AUTH_MODE=entra: the App Service Authentication stand-in (unless LOCAL_EASY_AUTH=off, which shows the
 * fail-closed admin API). Sets what the platform would: WEBSITE_AUTH_ENABLED / WEBSITE_AUTH_CLIENT_ID, and
 * ADMIN_AUTH_CLIENT_ID when unset, to an obviously local id.
 */
function setUpEasyAuth(origin: string): { entra: boolean; standIn?: EasyAuthStandIn; banner?: string } {
  const env = process.env;
  if (env.ADMIN_AUTH_MODE?.trim() !== 'entra') return { entra: false };
  if (/^off$/i.test(env.LOCAL_EASY_AUTH?.trim() ?? '')) {
    return {
      entra: true,
      banner:
        'ADMIN_AUTH_MODE=entra WITHOUT App Service Authentication (LOCAL_EASY_AUTH=off): every admin route answers 503 (fail closed)',
    };
  }
  env.ADMIN_AUTH_CLIENT_ID ||= 'local-easy-auth-stand-in';
  const role = (name: string) => env[name]?.trim() || appSettings.find((s) => s.name === name)?.default || name;
  const standIn = createEasyAuthStandIn({
    clientId: env.ADMIN_AUTH_CLIENT_ID,
    adminRole: role('ADMIN_APP_ROLE'),
    readerRole: role('READER_APP_ROLE'),
    host: '127.0.0.1',
  });
  Object.assign(env, standIn.platformEnv);
  return {
    entra: true,
    standIn,
    banner: `ADMIN_AUTH_MODE=entra behind a LOCAL STAND-IN for App Service Authentication (not security; loopback only): sign in at ${origin}/.auth/login/aad with any name and the app role to test; client x-ms-* headers are stripped`,
  };
}

function printBanner(b: {
  settings: string;
  storage: string;
  graph: string;
  channel: string;
  auth: string;
  host: FunctionsHost;
  functionsDir: string;
  scheduleIsDefault: boolean;
  entra: boolean;
}): void {
  const lines = [
    '',
    `cloud-pki-alerts, local functions host at ${b.host.url} (stand-in for Azure Functions Core Tools)`,
    `  settings   ${b.settings}`,
    `  storage    ${b.storage}`,
    `  graph      ${b.graph}`,
    `  alerts     ${b.channel}`,
    `  sign-in    ${b.auth}`,
    `  admin page ${b.host.url}/api/ui (open it in a browser and ${b.entra ? 'sign in with the local stand-in above' : 'enter the local admin key above'})`,
    `  functions${b.host.functions.length === 0 ? `  none found in ${b.functionsDir} (did the build run?)` : ''}`,
  ];
  const width = Math.max(0, ...b.host.functions.map((f) => f.name.length));
  for (const fn of b.host.functions) {
    const detail =
      fn.trigger === 'timer'
        ? `${fn.schedule} (UTC)`
        : fn.trigger === 'queue'
          ? `${fn.queueName}`
          : `${fn.methods?.join(',')} ${fn.url}`;
    lines.push(`    ${fn.name.padEnd(width)}  ${fn.trigger.padEnd(5)}  ${detail}`);
  }
  if (b.scheduleIsDefault)
    lines.push(`  (TIMER_SCHEDULE is not set: using its default "${process.env.TIMER_SCHEDULE}")`);
  lines.push('  Press Ctrl+C to stop.', '');
  console.log(lines.join('\n'));
}

function handleSignals(cleanups: Cleanup[]): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.log(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping (timers, HTTP, simulator, Azurite)...`);
    void runCleanups(cleanups).then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function runCleanups(cleanups: Cleanup[]): Promise<void> {
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`cleanup failed: ${describeError(error)}`);
    }
  }
}

function listFunctionModules(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The directory holding package.json, walking up from the compiled file (dist/src/local → repo root). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(
      `\nCannot start: the configuration is invalid. Fix these settings (local.settings.json "Values" or environment variables):`,
    );
    for (const problem of error.problems) console.error(`  - ${problem.field}: ${problem.message}`);
  } else {
    console.error(`\nCannot start: ${describeError(error)}`);
  }
  process.exit(1);
});
