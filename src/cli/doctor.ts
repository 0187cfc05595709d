import { parseArgs } from 'node:util';
import { testChannel } from '../admin/channelAdmin';
import { runDoctor } from '../admin/doctor';
import { formatDoctor } from '../admin/doctorChecks';
import { createServices, type Services } from '../composition/services';

export const doctorUsage = `  pki-alerts doctor [--json] [--send-test]    onboarding checks, in order, each ✔ / ✖ with its fix: settings, Table
                                              Storage (probe row), credential and Graph token roles, auditEvents
                                              over the last hour (events, latency, page size, order options),
                                              Cloud PKI activity types vs the documented ones, each channel (URL
                                              policy, DNS; --send-test posts a test card). Exit 0 when every
                                              required check passes, 1 otherwise. Never prints a secret.`;

/** `pki-alerts doctor`: text for a person, `--json` for scripts; the exit code says whether every required check passed. */
export async function doctorCommand(
  args: string[],
  out: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, 'send-test': { type: 'boolean' } },
    strict: true,
  });
  let services: Services | undefined;
  const report = await runDoctor({
    env,
    services: (config) => (services = createServices(config)),
    ...(values['send-test'] ? { sendTest: (id: string) => testChannel(services!, id) } : {}),
  });
  if (values.json) out(JSON.stringify(report));
  else formatDoctor(report).forEach((line) => out(line));
  return report.ok ? 0 : 1;
}
