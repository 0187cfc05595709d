import type { IncomingMessage, ServerResponse } from 'node:http';

/** A message as the simulated `sendMail` received it. */
export interface SentMail {
  mailbox: string;
  subject: string;
  contentType: string;
  content: string;
  to: string[];
  headers: Record<string, string>;
  saveToSentItems: unknown;
  receivedAt: number;
}

interface QueuedStatus {
  status: number;
  retryAfterSeconds?: number;
  remaining: number;
}

const caRoute = /^\/(beta|v1\.0)\/devicemanagement\/cloudcertificationauthority(?:\/([^/]+))?\/?$/i;
const mailRoute = /^\/(beta|v1\.0)\/users\/([^/]+)\/sendmail\/?$/i;

/**
 * The Graph simulator's minimal stand-ins for the delivery side: Cloud PKI CA resources
 * (`GET /beta/deviceManagement/cloudCertificationAuthority[/{id}]`, docs/reference/graph-audit-events.md §9) for card
 * enrichment, and `POST /users/{mailbox}/sendMail` (202, recorded) for email channels, each with fault
 * injection. The CA objects follow the documented `cloudCertificationAuthority` fields (§9) but their
 * values are ILLUSTRATIVE GUESSES, like every Cloud PKI shape of the simulator (no public sample exists).
 */
export class CloudPkiResources {
  readonly sentMail: SentMail[] = [];
  private readonly cas = new Map<string, Record<string, unknown>>();
  private caReadStatus?: number;
  private readonly mailFaults: QueuedStatus[] = [];
  caReads = 0;

  /** Adds (or replaces) a CA; `id` is required. */
  addCertificationAuthority(ca: { id: string } & Record<string, unknown>): void {
    this.cas.set(ca.id.toLowerCase(), { '@odata.type': '#microsoft.graph.cloudCertificationAuthority', ...ca });
  }

  /** Every CA read answers `status` (e.g. 403 without DeviceManagementCloudCA.Read.All); undefined restores. */
  setCaReadStatus(status: number | undefined): void {
    this.caReadStatus = status;
  }

  /** The next `times` sendMail calls answer `status`. */
  failSendMail(status: number, options: { times?: number; retryAfterSeconds?: number } = {}): void {
    this.mailFaults.push({ status, retryAfterSeconds: options.retryAfterSeconds, remaining: options.times ?? 1 });
  }

  /** Serves the request when it is one of these routes; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const ca = caRoute.exec(path);
    if (ca && req.method === 'GET') {
      this.caReads++;
      if (this.caReadStatus)
        return (
          send(
            res,
            this.caReadStatus,
            error(this.caReadStatus === 403 ? 'Forbidden' : 'Error', 'Simulated CA read failure.'),
          ),
          true
        );
      if (!ca[2]) return (send(res, 200, { value: [...this.cas.values()] }), true);
      const found = this.cas.get(ca[2].toLowerCase());
      return (
        send(
          res,
          found ? 200 : 404,
          found ?? error('ResourceNotFound', `Resource not found for the segment '${ca[2]}'.`),
        ),
        true
      );
    }
    const mail = mailRoute.exec(path);
    if (mail && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.sendMail(mail[2], Buffer.concat(chunks).toString('utf8'), res));
      return true;
    }
    return false;
  }

  private sendMail(mailbox: string, text: string, res: ServerResponse): void {
    const fault = this.mailFaults[0];
    if (fault) {
      if (--fault.remaining <= 0) this.mailFaults.shift();
      return send(
        res,
        fault.status,
        error(fault.status === 429 ? 'ApplicationThrottled' : 'ErrorInternalServerError', `Simulated ${fault.status}.`),
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
      );
    }
    let body: {
      message?: {
        subject?: unknown;
        body?: { contentType?: unknown; content?: unknown };
        toRecipients?: { emailAddress?: { address?: unknown } }[];
        internetMessageHeaders?: { name?: unknown; value?: unknown }[];
      };
      saveToSentItems?: unknown;
    };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return send(res, 400, error('BadRequest', 'Unable to read JSON request payload.'));
    }
    const m = body.message;
    const to = (m?.toRecipients ?? []).map((r) => String(r.emailAddress?.address ?? ''));
    if (
      !m ||
      typeof m.subject !== 'string' ||
      typeof m.body?.content !== 'string' ||
      to.length === 0 ||
      to.some((a) => !a.includes('@'))
    ) {
      return send(
        res,
        400,
        error('ErrorInvalidRecipients', 'The message needs a subject, a body and at least one valid recipient.'),
      );
    }
    const headers = Object.fromEntries((m.internetMessageHeaders ?? []).map((h) => [String(h.name), String(h.value)]));
    if (Object.keys(headers).some((name) => !/^x-/i.test(name)))
      return send(res, 400, error('InvalidInternetMessageHeader', 'Custom headers must start with x-.'));
    this.sentMail.push({
      mailbox,
      subject: m.subject,
      contentType: String(m.body.contentType ?? 'Text'),
      content: m.body.content,
      to,
      headers,
      saveToSentItems: body.saveToSentItems,
      receivedAt: Date.now(),
    });
    res.writeHead(202).end();
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/json;odata.metadata=minimal;charset=utf-8', ...headers })
    .end(JSON.stringify(body));
}

function error(code: string, message: string) {
  return { error: { code, message } };
}
