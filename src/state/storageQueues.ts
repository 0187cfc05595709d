import type { TokenCredential } from '@azure/identity';
import {
  AnonymousCredential,
  newPipeline,
  QueueClient,
  StorageSharedKeyCredential,
  type RequestPolicyFactory,
} from '@azure/storage-queue';
import { devAccountKey, devAccountName, devQueueEndpoint } from '../shared/devStorage';

/** The queue the poll timer fills with one message per tenant (docs/reference/azure-platform.md). */
export const tenantPollQueueName = 'tenant-polls';
/** Where the Functions host moves a message that failed maxDequeueCount times. */
export const poisonQueueName = (queue: string) => `${queue}-poison`;

export interface QueueConnection {
  /** AzureWebJobsStorage: an account or SAS connection string, or `UseDevelopmentStorage=true` (Azurite). */
  connectionString?: string;
  /** QUEUES_SERVICE_URI (https://<account>.queue.core.windows.net), reached with `credential`; wins over the string. */
  queueServiceUri?: string;
  credential?: TokenCredential;
  /** Prefix for queue names (tests on one account); sanitised to what a queue name allows. */
  queuePrefix?: string;
  /** Counts every HTTP request the queue clients send (a RequestCounter from tableClients.ts fits). */
  counter?: { count: number };
}

/** Azure queue names: 3-63 characters, lowercase letters, digits and single dashes, starting and ending alphanumeric. */
const validQueueName = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** A prefix reduced to what a queue name may hold: lowercase, only letters, digits and single dashes, no leading dash. */
export function sanitizeQueuePrefix(prefix: string): string {
  return prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '');
}

/** The queue's name on the account: prefix (sanitised) + name, checked against the service's rules. */
export function prefixedQueueName(name: string, prefix = ''): string {
  let full = `${sanitizeQueuePrefix(prefix)}${name}`;
  full = full.replace(/-{2,}/g, '-');
  if (!validQueueName.test(full))
    throw new Error(
      `'${full}' is not a valid queue name (3-63 characters: lowercase letters, digits and single dashes, starting and ending with a letter or digit)`,
    );
  return full;
}

/** What the Functions host expects by default (messageEncoding base64): base64 of the UTF-8 bytes. */
export const encodeMessageText = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The text of a base64 message, or undefined when the message is not valid base64 (the host cannot decode it). */
export function decodeMessageText(raw: string): string | undefined {
  if (raw.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) return undefined;
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.toString('base64') !== raw) return undefined;
  return bytes.toString('utf8');
}

interface Account {
  /** The queue service endpoint, no trailing slash. */
  endpoint: string;
  credential: StorageSharedKeyCredential | AnonymousCredential | TokenCredential;
  /** SAS connection strings: the query appended to every queue URL. */
  sas?: string;
}

/** The queue endpoint and credential of a connection string (account key or SAS; `UseDevelopmentStorage=true`). */
export function accountFromConnectionString(connectionString: string): Account {
  const parts = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true')
    return { endpoint: devQueueEndpoint, credential: new StorageSharedKeyCredential(devAccountName, devAccountKey) };
  const accountName = parts.get('accountname');
  const suffix = parts.get('endpointsuffix');
  const protocol = parts.get('defaultendpointsprotocol') ?? 'https';
  const endpoint = (
    parts.get('queueendpoint') ?? (accountName && suffix ? `${protocol}://${accountName}.queue.${suffix}` : '')
  ).replace(/\/+$/, '');
  if (!endpoint)
    throw new Error('The storage connection string has no QueueEndpoint (nor AccountName and EndpointSuffix)');
  const accountKey = parts.get('accountkey');
  if (accountName && accountKey)
    return { endpoint, credential: new StorageSharedKeyCredential(accountName, accountKey) };
  const sas = parts.get('sharedaccesssignature');
  if (sas) return { endpoint, credential: new AnonymousCredential(), sas: sas.replace(/^\?/, '') };
  throw new Error('The storage connection string has neither AccountName/AccountKey nor SharedAccessSignature');
}

const countingPolicy = (counter: { count: number }): RequestPolicyFactory => ({
  create: (next) => ({
    sendRequest: (request) => {
      counter.count++;
      return next.sendRequest(request);
    },
  }),
});

/** Queues that this process has created (createIfNotExists once per queue URL, whichever instance asks). */
const createdQueues = new Set<string>();

/** Queue clients for the configured account, identity-based when a service URI is given. */
export class StorageQueues {
  private readonly clients = new Map<string, Promise<QueueClient>>();
  private account?: Account;
  constructor(private readonly connection: QueueConnection) {}

  /** The QueueClient of a queue (prefix applied), created once per process (createIfNotExists once). */
  client(name: string): Promise<QueueClient> {
    let client = this.clients.get(name);
    if (!client) {
      client = this.create(name);
      this.clients.set(name, client);
      client.catch(() => this.clients.delete(name)); // a failed create is retried on the next call
    }
    return client;
  }

  /** Sends text as the Functions host expects by default (base64 of UTF-8), with a time-to-live in seconds. Counts 1 request. */
  async send(
    queue: string,
    text: string,
    options: { timeToLiveInSeconds: number; visibilityTimeoutInSeconds?: number },
  ): Promise<void> {
    const client = await this.client(queue);
    await client.sendMessage(encodeMessageText(text), {
      messageTimeToLive: options.timeToLiveInSeconds,
      visibilityTimeout: options.visibilityTimeoutInSeconds,
    });
  }

  /** Approximate message count (getProperties; includes invisible messages) for health and tests. */
  async approximateCount(queue: string): Promise<number> {
    const client = await this.client(queue);
    return (await client.getProperties()).approximateMessagesCount ?? 0;
  }

  /** Peeks up to 32 visible messages' decoded text (poison inspection, tests); text that is not base64 comes as is. */
  async peekTexts(queue: string, max = 32): Promise<string[]> {
    const client = await this.client(queue);
    const peeked = await client.peekMessages({ numberOfMessages: Math.max(1, Math.min(32, max)) });
    return peeked.peekedMessageItems.map((m) => decodeMessageText(m.messageText) ?? m.messageText);
  }

  private async create(name: string): Promise<QueueClient> {
    const full = prefixedQueueName(name, this.connection.queuePrefix);
    const account = (this.account ??= this.resolveAccount());
    const pipeline = newPipeline(account.credential);
    if (this.connection.counter) pipeline.factories.push(countingPolicy(this.connection.counter));
    const client = new QueueClient(`${account.endpoint}/${full}${account.sas ? `?${account.sas}` : ''}`, pipeline);
    if (!createdQueues.has(client.url)) {
      await client.createIfNotExists();
      createdQueues.add(client.url);
    }
    return client;
  }

  private resolveAccount(): Account {
    const { queueServiceUri, credential, connectionString } = this.connection;
    if (queueServiceUri) {
      if (!credential) throw new Error('QUEUES_SERVICE_URI needs a credential (managed identity)');
      return { endpoint: queueServiceUri.replace(/\/+$/, ''), credential };
    }
    return accountFromConnectionString(connectionString ?? 'UseDevelopmentStorage=true');
  }
}
