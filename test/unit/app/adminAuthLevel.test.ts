import { describe, expect, it } from 'vitest';
import { authorize } from '../../../src/functions/http/authorization';
import { adminAuthLevel } from '../../../src/functions/http/httpApi';
import { AuthError } from '../../../src/shared/errors';

const headers = (h: Record<string, string>) => new Headers(h);
const entra = { mode: 'entra' as const, adminRole: 'PkiAlerts.Admin', readerRole: 'PkiAlerts.Reader' };

describe('admin route authorization', () => {
  it.each([
    [{}, 'function'],
    [{ ADMIN_AUTH_MODE: 'key' }, 'function'],
    [{ ADMIN_AUTH_MODE: 'entra' }, 'anonymous'],
  ] as const)('ADMIN_AUTH_MODE %j → host auth level %s', (env, level) => {
    expect(adminAuthLevel(env)).toBe(level);
  });

  it('in entra mode (anonymous at the host) a request without the signed-in principal is refused with 401', () => {
    expect(() => authorize(headers({}), 'reader', entra)).toThrow(AuthError);
    try {
      authorize(headers({}), 'reader', entra);
    } catch (err) {
      expect((err as AuthError).status).toBe(401);
    }
  });
});
