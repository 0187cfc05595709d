import type { TestProject } from 'vitest/node';
import { startAzuriteTables } from '../src/local/azuriteTables';

declare module 'vitest' {
  export interface ProvidedContext {
    tablesConnectionString: string;
  }
}

/** One in-memory Azurite for the whole run; tests isolate themselves by unique tenant ids / table names. */
export default async function setup(project: TestProject) {
  const azurite = await startAzuriteTables();
  project.provide('tablesConnectionString', azurite.connectionString);
  return async () => azurite.close();
}
