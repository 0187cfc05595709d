import { loadConfig } from '../config/config';
import { createServices, type Services } from './services';

let services: Services | undefined;

/**
 * The process-wide services, built on first use from the environment (so a bad setting fails the first
 * invocation with a message naming every bad setting, and the host's start-up is not blocked).
 */
export function getServices(): Services {
  services ??= createServices(loadConfig());
  return services;
}

/** Forget the cached services (tests change the environment between cases). */
export function resetServices(): void {
  services = undefined;
}
