import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LocalRoute, LocalRouteResponse } from './functionsHost';

/**
 * The local stand-in for a Teams Workflows webhook ("Post to a channel when a webhook request is received"),
 * used by `npm start` when no channel is configured. It accepts the same message envelope
 * (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook),
 * rejects what a real flow could not post, prints one console line per alert and keeps the cards readable
 * at GET /api/local/inbox.
 */

export const INBOX_POST_PATH = '/local/inbox';
export const INBOX_VIEW_PATH = '/api/local/inbox';
const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
/** Teams refuses messages above ~28 KB; a card that big would fail in a real channel too. */
export const TEAMS_MESSAGE_MAX_BYTES = 28 * 1024;

export interface InboxMessage {
  id: string;
  receivedAt: string;
  /** The first TextBlock of the first card, whitespace collapsed: what the console line shows. */
  summary: string;
  /** The Adaptive Card of each attachment. */
  cards: unknown[];
  /** The whole Workflows message as posted. */
  message: unknown;
}

export interface LocalInbox {
  routes: LocalRoute[];
  /** Stored messages, oldest first (GET /api/local/inbox lists them newest first). */
  messages(): InboxMessage[];
}

export function createLocalInbox(options: { log: (line: string) => void; capacity?: number }): LocalInbox {
  const capacity = options.capacity ?? 500;
  const stored: InboxMessage[] = [];

  async function receive(req: IncomingMessage, body: string): Promise<LocalRouteResponse> {
    const problems: string[] = [];
    const contentType = String(req.headers['content-type'] ?? '');
    if (!/^application\/(.+\+)?json\b/i.test(contentType))
      problems.push(`Content-Type must be application/json (got "${contentType || 'none'}")`);
    if (Buffer.byteLength(body) > TEAMS_MESSAGE_MAX_BYTES) {
      return reject(413, 'MessageTooLarge', [
        `the message is ${Buffer.byteLength(body)} bytes; Teams accepts at most ${TEAMS_MESSAGE_MAX_BYTES}`,
      ]);
    }
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      return reject(400, 'InvalidJson', [...problems, 'the body is not valid JSON']);
    }
    problems.push(...envelopeProblems(message));
    if (problems.length > 0) return reject(400, 'InvalidWorkflowMessage', problems);

    const cards = (message as { attachments: { content: unknown }[] }).attachments.map((a) => a.content);
    const receivedAt = new Date().toISOString();
    const summary = firstText(cards[0]) ?? '(card without a TextBlock)';
    stored.push({ id: randomUUID(), receivedAt, summary, cards, message });
    if (stored.length > capacity) stored.splice(0, stored.length - capacity);
    options.log(`[inbox] ${receivedAt.replace(/\.\d{3}Z$/, 'Z')} ${summary} · see ${viewUrl(req)}`);
    return { status: 202 }; // what Workflows answers: accepted, empty body
  }

  function reject(status: number, code: string, problems: string[]): LocalRouteResponse {
    options.log(`[inbox] rejected a message (${status}): ${problems.join('; ')}`);
    const body = JSON.stringify({
      error: { code, message: `Not a valid Teams Workflows message: ${problems.join('; ')}`, problems },
    });
    return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
  }

  return {
    routes: [
      { method: 'POST', path: INBOX_POST_PATH, handler: receive },
      {
        method: 'GET',
        path: INBOX_VIEW_PATH,
        handler: async () => ({
          status: 200,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify({ value: [...stored].reverse() }, null, 2),
        }),
      },
    ],
    messages: () => [...stored],
  };
}

/** What a Workflows flow needs to post a card: `{type:'message', attachments:[{contentType: adaptive, content: AdaptiveCard}]}`. */
function envelopeProblems(message: unknown): string[] {
  if (!isObject(message)) return ['the body must be a JSON object'];
  const problems: string[] = [];
  if (message.type !== 'message')
    problems.push(`"type" must be "message" (got ${JSON.stringify(message.type) ?? 'nothing'})`);
  const attachments = message.attachments;
  if (!Array.isArray(attachments) || attachments.length === 0) {
    problems.push('"attachments" must be a non-empty array');
    return problems;
  }
  attachments.forEach((attachment: unknown, i) => {
    const at = `attachments[${i}]`;
    if (!isObject(attachment)) return problems.push(`${at} must be an object`);
    if (attachment.contentType !== ADAPTIVE_CARD) problems.push(`${at}.contentType must be "${ADAPTIVE_CARD}"`);
    const card = attachment.content;
    if (!isObject(card)) return problems.push(`${at}.content must be an Adaptive Card object`);
    if (card.type !== 'AdaptiveCard') problems.push(`${at}.content.type must be "AdaptiveCard"`);
    if (typeof card.version !== 'string') problems.push(`${at}.content.version must be a string such as "1.5"`);
    if (!Array.isArray(card.body)) problems.push(`${at}.content.body must be an array of card elements`);
  });
  return problems;
}

/** Depth-first: the first `TextBlock` text in the card (inside containers, column sets, ...). */
function firstText(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const text = firstText(item);
      if (text) return text;
    }
    return undefined;
  }
  if (!isObject(node)) return undefined;
  if (node.type === 'TextBlock' && typeof node.text === 'string' && node.text.trim()) return oneLine(node.text);
  for (const key of ['body', 'items', 'columns']) {
    const text = firstText(node[key]);
    if (text) return text;
  }
  return undefined;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function viewUrl(req: IncomingMessage): string {
  return `http://${req.headers.host ?? '127.0.0.1'}${INBOX_VIEW_PATH}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
