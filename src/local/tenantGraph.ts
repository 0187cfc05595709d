import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GraphSimulator } from './graphSimulator';
import type { GraphSimulatorOptions } from './graphSimulatorTypes';

/** One simulated tenant behind {@link TenantGraph}. */
export interface SimulatedTenant {
  id: string;
  events?: unknown[];
  /** Graph answers 403 (the app is consented without the permission, or it was revoked). */
  forbidden?: boolean;
}

/**
 * Graph for many tenants, as Graph is: one endpoint, and the bearer token says which tenant a request reads.
 * Each tenant is its own {@link GraphSimulator}; this front routes a request by the tenant its token names
 * (`simulator-token.<tenant id>`, what the app's Graph client sends without a credential) and answers Graph's
 * 401 to a token naming no known tenant and 403 to a tenant marked `forbidden`. `latencyInMs` delays every
 * answer, as a remote Graph would (the bench's 150 ms).
 */
export class TenantGraph {
  private readonly sockets = new Set<Socket>();
  private readonly counts = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    private readonly tenants: Map<string, { simulator: GraphSimulator; forbidden: boolean }>,
    private readonly latencyInMs: number,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => void this.route(req, res));
  }

  static async start(
    tenants: readonly SimulatedTenant[],
    options: { latencyInMs?: number; simulator?: Omit<GraphSimulatorOptions, 'events'>; port?: number } = {},
  ): Promise<TenantGraph> {
    const map = new Map<string, { simulator: GraphSimulator; forbidden: boolean }>();
    for (const t of tenants)
      map.set(t.id.toLowerCase(), {
        simulator: await GraphSimulator.start({ ...options.simulator, events: t.events ?? [] }),
        forbidden: t.forbidden === true,
      });
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return new TenantGraph(server, map, options.latencyInMs ?? 0);
  }

  get baseUrl(): string {
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  /** The simulator of one tenant (add events, inject faults, read its requests). */
  simulator(tenantId: string): GraphSimulator {
    const t = this.tenants.get(tenantId.toLowerCase());
    if (!t) throw new Error(`no simulated tenant ${tenantId}`);
    return t.simulator;
  }

  /** Marks a tenant's Graph as answering 403 (or lifts it). */
  setForbidden(tenantId: string, forbidden: boolean): void {
    const t = this.tenants.get(tenantId.toLowerCase());
    if (t) t.forbidden = forbidden;
  }

  /** Requests routed to each tenant (401s under `unknown`). */
  requestsByTenant(): ReadonlyMap<string, number> {
    return this.counts;
  }

  get tenantIds(): string[] {
    return [...this.tenants.keys()];
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = /^Bearer\s+simulator-token\.(\S+)$/i.exec(req.headers.authorization ?? '')?.[1]?.toLowerCase();
    const tenant = token ? this.tenants.get(token) : undefined;
    this.counts.set(tenant ? token! : 'unknown', (this.counts.get(tenant ? token! : 'unknown') ?? 0) + 1);
    if (this.latencyInMs > 0) await new Promise((r) => setTimeout(r, this.latencyInMs));
    if (!tenant) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token validation failure.');
    if (tenant.forbidden)
      return graphError(res, 403, 'Forbidden', 'Application is not authorized to perform this operation.');
    const body: Buffer[] = [];
    for await (const chunk of req) body.push(chunk as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers.set(k, v);
    try {
      const upstream = await fetch(`${tenant.simulator.baseUrl}${req.url ?? '/'}`, {
        method: req.method,
        headers,
        body: body.length > 0 ? Buffer.concat(body) : undefined,
      });
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(k)) out[k] = v;
      });
      res.writeHead(upstream.status, out);
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch (err) {
      graphError(res, 502, 'BadGateway', `simulated tenant unreachable: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.tenants.values()].map((t) => t.simulator.close()));
  }
}

function graphError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message, innerError: { date: new Date().toISOString() } } }));
}
