import net from 'node:net';
import { type GraphServerMode, graphServerModes } from './graphServerModes';

// npm start's own options (PORT, SIMULATOR_MODE, SIMULATOR_DRIP_SECONDS) and the port probes start.ts uses.

export async function resolvePort(text: string | undefined): Promise<number> {
  const port = text === undefined || text.trim() === '' ? 7071 : Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a TCP port number (got "${text}")`);
  if (port !== 0) return port;
  // The inbox URL must be known before the host starts, so pick the free port now.
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const chosen = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return chosen;
}

export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function parseMode(text: string | undefined): GraphServerMode {
  const mode = text?.trim() || 'strict';
  if ((graphServerModes as readonly string[]).includes(mode)) return mode as GraphServerMode;
  throw new Error(`SIMULATOR_MODE must be one of ${graphServerModes.join(', ')} (got "${mode}")`);
}

export function formatShift(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const hours = Math.floor((ms % 86_400_000) / 3_600_000);
  const minutes = Math.round((ms % 3_600_000) / 60_000);
  return [days && `${days} d`, hours && `${hours} h`, `${minutes} min`].filter(Boolean).join(' ');
}

export function parseDrip(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 45;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  console.warn(`SIMULATOR_DRIP_SECONDS must be a number of seconds (0 = off), got "${text}"; using 45`);
  return 45;
}

/** One line naming a simulated audit event (the drip's log). */
export function describeEvent(event: unknown): string {
  const e = event as {
    activityType?: unknown;
    displayName?: unknown;
    actor?: { userPrincipalName?: unknown; applicationDisplayName?: unknown };
  };
  const who = e.actor?.userPrincipalName ?? e.actor?.applicationDisplayName;
  return `${String(e.activityType ?? e.displayName ?? 'event')}${who ? ` by ${String(who)}` : ''}`;
}
