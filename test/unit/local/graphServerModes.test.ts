import { afterEach, describe, expect, it } from 'vitest';
import { GraphSimulator } from '../../../src/local/graphSimulator';
import {
  behaviourOf,
  type GraphServerMode,
  graphServerModes,
  servedPageSize,
} from '../../../src/local/graphServerModes';

const LIST = '/beta/deviceManagement/auditEvents';
const GRAPH = 'https://graph.microsoft.com';

/** Ten events a second apart, e00 oldest. */
const events = Array.from({ length: 10 }, (_, i) => ({
  id: `e${String(i).padStart(2, '0')}`,
  activityDateTime: `2026-01-10T08:00:${String(i).padStart(2, '0')}.1234567Z`,
  activityType: 'Delete CloudCertificationAuthority',
  activityOperationType: 'Delete',
}));
const ids = events.map((e) => e.id);

let sims: GraphSimulator[] = [];
async function start(mode?: GraphServerMode): Promise<GraphSimulator> {
  const sim = await GraphSimulator.start({ events, ...(mode ? { mode } : {}) });
  sims.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { value?: { id: string }[]; '@odata.nextLink'?: string; error?: { code: string; message: string } };
}

/** One GET; `hangInMs` aborts a request the simulator never answers (hanging-next-link). */
async function get(sim: GraphSimulator, pathAndQuery: string, hangInMs = 2_000): Promise<Answer | 'hung'> {
  try {
    const res = await fetch(sim.baseUrl + pathAndQuery, { signal: AbortSignal.timeout(hangInMs) });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as Answer['body'],
    };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return 'hung';
    throw err;
  }
}

const query = (params: Record<string, string>) =>
  `${LIST}?${Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&')}`;

/** Reads every page as a tolerant client does: 429 and hung requests are retried, nextLinks followed as given. */
async function readAll(
  sim: GraphSimulator,
  first: string,
): Promise<{ pages: string[][]; statuses: (number | 'hung')[] }> {
  const pages: string[][] = [];
  const statuses: (number | 'hung')[] = [];
  let next: string | undefined = first;
  for (let guard = 0; next !== undefined && guard < 100; guard++) {
    const answer = await get(sim, next, 300);
    statuses.push(answer === 'hung' ? 'hung' : answer.status);
    if (answer === 'hung' || answer.status === 429) continue;
    expect(answer.status).toBe(200);
    pages.push(answer.body.value!.map((e) => e.id));
    const link = answer.body['@odata.nextLink'];
    next = link === undefined ? undefined : link.slice(GRAPH.length);
  }
  return { pages, statuses };
}

describe('Graph simulator server modes', () => {
  it('lists the modes, strict first (the default)', () => {
    expect(graphServerModes[0]).toBe('strict');
    expect(new Set(graphServerModes).size).toBe(graphServerModes.length);
  });

  it.each([
    [100, true, 75],
    [4, true, 3],
    [2, true, 1],
    [1, true, 1],
    [4, false, 4],
  ])('serves $top=%i as pages of at most %s → %i', (top, cap, served) => {
    expect(servedPageSize(top, cap)).toBe(served);
  });

  describe.each(graphServerModes)('mode %s', (mode) => {
    it('every matching event is read, whatever the order, page size or repeats', async () => {
      const sim = await start(mode);
      const { pages } = await readAll(sim, query({ $filter: 'activityDateTime ge 2026-01-10T08:00:00Z', $top: '4' }));
      expect([...new Set(pages.flat())].sort()).toEqual(ids);
      for (const page of pages) expect(page.length).toBeLessThan(4);
    });

    it(`answers asc as the mode says (${behaviourOf(mode).ascending})`, async () => {
      const sim = await start(mode);
      const behaviour = behaviourOf(mode);
      const answer = await get(sim, query({ $orderby: 'activityDateTime asc', $top: '100' }));
      if (answer === 'hung') throw new Error('a first page must not hang');
      const ok =
        answer.status === 429 ? await get(sim, query({ $orderby: 'activityDateTime asc', $top: '100' })) : answer;
      if (ok === 'hung') throw new Error('hung');
      if (behaviour.ascending === 'refuse') {
        expect(ok.status).toBe(400);
        return;
      }
      expect(ok.status).toBe(200);
      const served = ok.body.value!.map((e) => e.id);
      expect(served).toEqual(behaviour.ascending === 'accept' ? ids.slice(0, 75) : [...ids].reverse());
    });
  });

  it('strict: newest first without $orderby and with desc; asc refused with a Graph 400', async () => {
    const sim = await start();
    for (const params of [{}, { $orderby: 'activityDateTime desc' }] as Record<string, string>[]) {
      const answer = await get(sim, query(params));
      expect(answer !== 'hung' && answer.body.value!.map((e) => e.id)).toEqual([...ids].reverse());
    }
    const refused = await get(sim, query({ $orderby: 'activityDateTime asc' }));
    expect(refused !== 'hung' && refused.status).toBe(400);
    expect(refused !== 'hung' && refused.body.error?.code).toBe('BadRequest');
  });

  it('repeated-items: a next page starts with items of the previous one', async () => {
    const sim = await start('repeated-items');
    const { pages } = await readAll(sim, query({ $top: '4' }));
    expect(pages.flat().length).toBeGreaterThan(ids.length);
    expect(pages[1][0]).toBe(pages[0][pages[0].length - 2]);
  });

  it.each(['throttled-no-retry-after', 'intune-error-body'] as const)(
    '%s: the first request, then every 4th, is a 429 without Retry-After',
    async (mode) => {
      const sim = await start(mode);
      const { statuses } = await readAll(sim, query({ $top: '4' }));
      expect(statuses.slice(0, 6)).toEqual([429, 200, 200, 200, 429, 200]);
      const answer = await get(sim, query({}));
      expect(answer !== 'hung' && answer.retryAfter).toBeNull();
    },
  );

  it('intune-error-body: error.message is itself JSON with the message in "Message"', async () => {
    const sim = await start('intune-error-body');
    const answer = await get(sim, query({}));
    if (answer === 'hung') throw new Error('hung');
    expect(answer.status).toBe(429);
    expect(answer.body.error?.code).toBe('TooManyRequests');
    const inner = JSON.parse(answer.body.error!.message) as { _version: number; Message: string };
    expect(inner._version).toBe(3);
    expect(inner.Message).toMatch(
      /^An error has occurred - Operation ID \(for customer support\): .* - Url: https:\/\/fef\./,
    );
    const refused = await get(sim, query({ $orderby: 'activityDateTime asc' }));
    expect(refused !== 'hung' && JSON.parse(refused.body.error!.message).Message).toContain('An error has occurred');
  });

  it('hanging-next-link: the first nextLink request is never answered, a retry of it is', async () => {
    const sim = await start('hanging-next-link');
    const { statuses, pages } = await readAll(sim, query({ $top: '4' }));
    expect(statuses.slice(0, 3)).toEqual([200, 'hung', 200]);
    expect(pages.flat().sort()).toEqual(ids);
  });
});
