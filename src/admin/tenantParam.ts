import { ValidationError } from '../shared/errors';
import { normaliseTenantId } from '../tenants/tenant';

/**
 * A `tenant` parameter (API query `?tenant=`, CLI `--tenant`): absent or empty → undefined; the home tenant's
 * id or the word `home` → the home tenant id; a GUID (any case) → that tenant id in lower case. Anything else
 * is a 400 naming the parameter.
 */
export function tenantParam(
  value: string | null | undefined,
  homeTenantId: string,
  field = 'tenant',
): string | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const given = value.trim().toLowerCase();
  if (given === 'home' || given === homeTenantId.toLowerCase()) return homeTenantId;
  const id = normaliseTenantId(given);
  if (!id)
    throw new ValidationError('request', [
      {
        field,
        message: `must be a tenant id (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47), "home" or the home tenant's id; got "${value.slice(0, 80)}"`,
      },
    ]);
  return id;
}
