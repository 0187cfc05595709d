import { app } from '@azure/functions';
import { adminAuthLevel, apiHandler, ok, readJson } from './http/httpApi';

/**
 * POST /api/backtest: `{ rule | ruleId, from, to }` (read from Graph, at most 365 days, within retention) or
 * `{ rule | ruleId, events: [...] }`: what the rule would have fired and alerted. Change windows are ignored.
 */
export const backtestHandler = apiHandler('reader', async (request, { services }) =>
  ok(await services.admin.backtest(await readJson(request))),
);

app.http('backtest', { route: 'backtest', methods: ['POST'], authLevel: adminAuthLevel(), handler: backtestHandler });
