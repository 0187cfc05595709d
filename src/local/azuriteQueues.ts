import path from 'node:path';
import { devAccountKey, devAccountName } from '../shared/devStorage';

export interface AzuriteQueues {
  /** http://host:port (the account path is /devstoreaccount1). */
  url: string;
  connectionString: string;
  close(): Promise<void>;
}

/** The part of Azurite's internal QueueServer used here. */
interface AzuriteQueueServer {
  start(): Promise<void>;
  getHttpServerAddress(): string;
  close(): Promise<void>;
  clean(): Promise<void>;
}

/**
 * Starts Azurite's Queue service in this process, in memory, like startAzuriteTables (azuriteTables.ts):
 * Azurite is a dev dependency with an internal in-process API (deep imports, version pinned), loaded lazily.
 * The API version check is off: @azure/storage-queue sends a newer x-ms-version than Azurite 3.35 knows.
 */
export async function startAzuriteQueues(options: { host?: string; port?: number } = {}): Promise<AzuriteQueues> {
  const root = path.dirname(require.resolve('azurite/package.json'));
  // Deep paths into Azurite's build (not its exports): loaded with require, so they stay out of the bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (file: string): unknown => require(path.join(root, file));
  const QueueServer = (load('dist/src/queue/QueueServer') as { default: new (config: unknown) => AzuriteQueueServer })
    .default;
  const QueueConfiguration = (
    load('dist/src/queue/QueueConfiguration') as { default: new (...args: unknown[]) => unknown }
  ).default;
  const config = new QueueConfiguration(
    options.host ?? '127.0.0.1',
    options.port ?? 0,
    undefined, // keepAliveTimeout (default)
    'unused', // metadataDBPath (memory persistence)
    'unused', // extentDBPath
    undefined, // persistencePathArray (default; unused in memory)
    false, // enableAccessLog
    undefined, // accessLogWriteStream
    false, // enableDebugLog
    undefined, // debugLogFilePath
    false, // loose
    true, // skipApiVersionCheck
    '', // cert
    '', // key
    '', // pwd
    undefined, // oauth
    false, // disableProductStyleUrl
    true, // isMemoryPersistence
  );
  const server = new QueueServer(config);
  await server.start();
  const url = server.getHttpServerAddress();
  return {
    url,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${devAccountName};AccountKey=${devAccountKey};QueueEndpoint=${url}/${devAccountName};`,
    async close() {
      await server.close();
      await server.clean();
    },
  };
}
