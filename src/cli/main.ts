#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import { replayEvents } from '../app/replayEvents';
import { formatStatus } from './status';
import { readRulesDocument, rulesCommand, rulesUsage } from './rulesCommand';
import { deliveryCommand, deliveryUsage } from './deliveryCommands';
import { createServices } from '../composition/services';
import { defaultRulePack } from '../rules/defaultRulePack';
import type { AlertRule } from '../rules/alertRule';
import { ValidationError } from '../shared/errors';
import { consoleLogger, createLogger } from '../shared/logger';
import { readJsonFile, UsageError } from './cliInput';
import { doctorCommand, doctorUsage } from './doctor';
import { replayLine, replayTable } from './replayOutput';
import { tenantsCommand, tenantsUsage } from './tenantsCommand';

const usage = `pki-alerts: Cloud PKI audit alerts

Usage:
  pki-alerts poll --once                      run one poll cycle with the configured settings (env)
  pki-alerts replay --events FILE [--rules FILE] [--own-client-id ID] [--json]
                                              run a Graph-shaped events file ({"value": [...]}) through the
                                              rules offline (default: the built-in Cloud PKI pack): per alert
                                              the rule, activity type(s), actor(s) and CA(s). A table on a
                                              terminal; one JSON line per alert, then a summary line, when
                                              piped or with --json. No storage, no sending.
  pki-alerts status [--json]                  health of the running app from its state: last successful poll,
                                              lag, coverage gaps, open watchdog incidents, failing channels,
                                              pending / dead-lettered deliveries, rules that do not parse.
                                              Exit code 1 when unhealthy (what GET /api/health answers 503 to).
${doctorUsage}
${rulesUsage}
${deliveryUsage}
${tenantsUsage}
  pki-alerts help
`;

export function readEventsFile(file: string): unknown[] {
  const doc = readJsonFile(file, 'events');
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === 'object' && Array.isArray((doc as { value?: unknown }).value))
    return (doc as { value: unknown[] }).value;
  throw new UsageError(`events file ${file} must be Graph's response shape {"value": [auditEvent, ...]} or an array`);
}

export function readRulesFile(file: string): AlertRule[] {
  const { rules, problems } = readRulesDocument(file);
  if (problems.length) throw new UsageError(`rules file ${file} has invalid rules:\n  ${problems.join('\n  ')}`);
  return rules;
}

export async function main(
  argv: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  options: { isTty?: boolean } = {},
): Promise<number> {
  const isTty = options.isTty ?? process.stdout.isTTY === true;
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'poll': {
        const { values } = parseArgs({ args: rest, options: { once: { type: 'boolean' } }, strict: true });
        if (!values.once) throw new UsageError('poll needs --once (the timer runs continuous polling; see npm start)');
        const services = createServices(loadConfig());
        const result = await services.cycle(
          createLogger((level, line) => process.stderr.write(`${level.toUpperCase()} ${line}\n`)),
          { trigger: 'cli' },
        );
        out(
          JSON.stringify({
            poll: result.poll,
            delivery: result.delivery,
            pollError: result.pollError,
            graphRequests: services.counters.graphRequests,
            tableTransactions: services.counters.tableRequests.count,
          }),
        );
        return result.pollError ? 1 : 0;
      }
      case 'status': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, strict: true });
        const detail = await createServices(loadConfig()).watch.healthDetail();
        if (values.json) out(JSON.stringify(detail));
        else formatStatus(detail).forEach((line) => out(line));
        return detail.status === 'unhealthy' ? 1 : 0;
      }
      case 'doctor':
        return await doctorCommand(rest, out);
      case 'rules':
        return await rulesCommand(rest, out);
      case 'channels':
      case 'alerts':
      case 'quarantine':
        return await deliveryCommand(command, rest, out);
      case 'tenants':
        return await tenantsCommand(rest, out);
      case 'replay': {
        const { values } = parseArgs({
          args: rest,
          options: {
            events: { type: 'string' },
            rules: { type: 'string' },
            'own-client-id': { type: 'string' },
            json: { type: 'boolean' },
          },
          strict: true,
        });
        if (!values.events) throw new UsageError('replay needs --events FILE');
        const events = readEventsFile(values.events);
        const rules = values.rules ? readRulesFile(values.rules) : [...defaultRulePack];
        const { alerts, summary, problems } = replayEvents(events, rules, { ownClientId: values['own-client-id'] });
        for (const p of problems) process.stderr.write(`WARN malformed ${p}\n`);
        const lines = alerts.map(replayLine);
        if (isTty && !values.json) {
          replayTable(lines, { ...summary, rules: rules.length }).forEach((line) => out(line));
          return 0;
        }
        for (const line of lines) out(JSON.stringify(line));
        out(JSON.stringify({ summary: { ...summary, rules: rules.length } }));
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof ValidationError ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`pki-alerts: ${(err as Error).message}\n`);
      if (err instanceof UsageError || (err as { code?: string }).code) process.stderr.write(`\n${usage}`);
      return 2;
    }
    consoleLogger.error(`pki-alerts ${command} failed: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
