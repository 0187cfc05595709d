import path from 'node:path';
import { devAccountKey } from '../shared/devStorage';

/** Azurite's well-known development account key (public, documented by Microsoft); kept in shared/devStorage.ts. */
export { devAccountKey };

export interface AzuriteTables {
  url: string;
  connectionString: string;
  close(): Promise<void>;
}

/** The part of Azurite's internal TableServer used here. */
interface AzuriteTableServer {
  start(): Promise<void>;
  getHttpServerAddress(): string;
  close(): Promise<void>;
  clean(): Promise<void>;
}

/**
 * Starts Azurite's Table service in this process, in memory. Azurite is a dev dependency and its
 * in-process API is internal (deep imports, version pinned), so it is loaded lazily and only here.
 */
export async function startAzuriteTables(options: { host?: string; port?: number } = {}): Promise<AzuriteTables> {
  const root = path.dirname(require.resolve('azurite/package.json'));
  // Deep paths into Azurite's build (not its exports): loaded with require, so they stay out of the bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (file: string): unknown => require(path.join(root, file));
  const TableServer = (load('dist/src/table/TableServer') as { default: new (config: unknown) => AzuriteTableServer })
    .default;
  const TableConfiguration = (
    load('dist/src/table/TableConfiguration') as { default: new (...args: unknown[]) => unknown }
  ).default;
  const config = new TableConfiguration(
    options.host ?? '127.0.0.1',
    options.port ?? 0,
    undefined,
    'unused',
    false,
    false,
    undefined,
    undefined,
    false,
    false,
    '',
    '',
    '',
    undefined,
    false,
    true,
  );
  const server = new TableServer(config);
  await server.start();
  const url = server.getHttpServerAddress();
  return {
    url,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${devAccountKey};TableEndpoint=${url}/devstoreaccount1;`,
    async close() {
      await server.close();
      await server.clean();
    },
  };
}
