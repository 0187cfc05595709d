import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFunctionsHost } from '../../../src/local/functionsHost';

describe('local functions host: routes the Azure Functions host reserves', () => {
  it('refuses a route starting with "admin", as Azure does (so the admin page lives under /api/ui)', async () => {
    await expect(
      startFunctionsHost({
        port: 0,
        functionModules: [path.join(__dirname, '../../fixtures/functions/reservedRoute.ts')],
        log: () => {},
      }),
    ).rejects.toThrow(
      "Function 'reservedAdminPage': the route 'administration/page' starts with 'admin', which the Azure Functions host reserves for its own APIs",
    );
  });
});
