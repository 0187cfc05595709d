import type { TestProject } from 'vitest/node';
import { startAzuriteQueues } from '../src/local/azuriteQueues';
import { startAzuriteTables } from '../src/local/azuriteTables';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Table AND Queue endpoints of the in-memory Azurite (every test's AzureWebJobsStorage). */
    tablesConnectionString: string;
    /** The same account string, named for queue tests. */
    queuesConnectionString: string;
  }
}

/** One in-memory Azurite (Tables + Queues) for the whole run; tests isolate themselves by unique tenant ids / names. */
export default async function setup(project: TestProject) {
  const tables = await startAzuriteTables();
  const queues = await startAzuriteQueues().catch(async (error: unknown) => {
    await tables.close();
    throw error;
  });
  const connectionString = `${tables.connectionString}QueueEndpoint=${queues.url}/devstoreaccount1;`;
  project.provide('tablesConnectionString', connectionString);
  project.provide('queuesConnectionString', connectionString);
  return async () => {
    await Promise.allSettled([tables.close(), queues.close()]).then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    });
  };
}
