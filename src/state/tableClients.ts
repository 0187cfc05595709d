import { TableClient, type TableEntity } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { currentRequestScope } from '../shared/requestScope';

/** A Table SDK pipeline policy (the type lives in a transitive package; derived here to avoid importing it). */
export type PipelinePolicy = Parameters<TableClient['pipeline']['addPolicy']>[0];

export const tableNames = {
  rules: 'AlertRules',
  pollState: 'PollState',
  outbox: 'AlertOutbox',
  channels: 'Channels',
  ruleHistory: 'RuleHistory',
  changeWindows: 'ChangeWindows',
  tenants: 'Tenants',
  pacing: 'ChannelPacing',
} as const;
export type TableName = (typeof tableNames)[keyof typeof tableNames];

/** Counts every HTTP request (a batch is one) the Table clients send: the "Table transactions" figure. */
export class RequestCounter {
  count = 0;
  readonly byTable = new Map<string, number>();
  policy(table: string): PipelinePolicy {
    return {
      name: `requestCounter-${table}`,
      sendRequest: (request, next) => {
        this.count++;
        const scope = currentRequestScope();
        if (scope) scope.tables++;
        this.byTable.set(table, (this.byTable.get(table) ?? 0) + 1);
        return next(request);
      },
    };
  }
}

export interface TableConnection {
  connectionString?: string;
  tableServiceUri?: string;
  credential?: TokenCredential;
  /** Prefix for table names, so tests and tenants on one account cannot collide. */
  tablePrefix?: string;
  counter?: RequestCounter;
  /** Extra pipeline policies for every client (fault injection in tests). */
  policies?: PipelinePolicy[];
}

/** Creates table clients for the configured account, identity-based when a service URI is given. */
export class TableClients {
  private readonly clients = new Map<TableName, TableClient>();
  private readonly created = new Set<TableName>();
  constructor(private readonly connection: TableConnection) {}

  get counter(): RequestCounter | undefined {
    return this.connection.counter;
  }

  /** A client for the table, created on first use (one createTable per process, not per run). */
  async get(table: TableName): Promise<TableClient> {
    let client = this.clients.get(table);
    if (!client) {
      const name = `${this.connection.tablePrefix ?? ''}${table}`;
      const { connectionString, tableServiceUri, credential } = this.connection;
      if (tableServiceUri) {
        if (!credential) throw new Error('TABLES_SERVICE_URI needs a credential (managed identity)');
        client = new TableClient(tableServiceUri, name, credential);
      } else {
        client = TableClient.fromConnectionString(connectionString ?? 'UseDevelopmentStorage=true', name, {
          allowInsecureConnection: true,
        });
      }
      if (this.connection.counter) client.pipeline.addPolicy(this.connection.counter.policy(table));
      for (const policy of this.connection.policies ?? []) client.pipeline.addPolicy(policy);
      this.clients.set(table, client);
    }
    if (!this.created.has(table)) {
      try {
        await client.createTable();
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
      this.created.add(table);
    }
    return client;
  }
}

/** HTTP status of a Table SDK error (`code` is undefined on Azurite; check `statusCode`). */
export const statusOf = (err: unknown): number | undefined =>
  typeof err === 'object' && err !== null && typeof (err as { statusCode?: unknown }).statusCode === 'number'
    ? (err as { statusCode: number }).statusCode
    : undefined;

/** Reads every entity of a query, page by page, without holding more than a page at a time. */
export async function* queryEntities<T extends object>(
  client: TableClient,
  filter: string,
  select?: string[],
): AsyncIterable<TableEntity<T>> {
  for await (const entity of client.listEntities<T>({ queryOptions: { filter, select } }))
    yield entity as TableEntity<T>;
}

/** Splits actions into transactions of at most 100 (the Table service limit). */
export function chunk<T>(items: readonly T[], size = 100): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
