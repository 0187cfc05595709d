// What the on-call engineer should do first, keyed by lower-cased Cloud PKI activityType
// (docs/reference/graph-audit-events.md §3 and §9: pause is reversible, revoke and delete are permanent).
const guidance: Record<string, string> = {
  'revokecloudcertificationauthoritycertificateasync cloudcertificationauthority':
    'Revocation is permanent and also revokes every active leaf certificate of this CA: expect Wi-Fi, VPN and ' +
    "other certificate-based access to fail. Confirm with the PKI owner immediately; if unplanned treat as a security incident: review the actor's sign-ins and roles.",
  'delete cloudcertificationauthority':
    'Deletion is permanent. The normal order is pause → revoke → delete, so a delete without them is unusual. Confirm with the PKI owner; ' +
    "if unplanned treat as a security incident: review the actor's sign-ins and roles, and check which certificate profiles used this CA.",
  'changecloudcertificationauthoritystatusasync cloudcertificationauthority':
    'A paused CA stops issuing leaf certificates (CRL and AIA keep working); resuming undoes it. Check the status change above with the PKI owner; ' +
    "if unplanned, resume the CA and review the actor's sign-ins and roles.",
  'revokeleafcertasync cloudcertificationauthorityleafcertificate':
    'Leaf revocation is permanent for that certificate and cuts the access that depends on it. Many revocations in a short time are unusual: ' +
    "confirm with the PKI owner and review the actor's sign-ins.",
  'uploadexternallysignedcertificationauthoritycertificateasync cloudcertificationauthority':
    'An externally signed CA certificate was uploaded (bring your own CA). Confirm the upload and its signing root with the PKI owner; ' +
    "if unplanned treat as a security incident: review the actor's sign-ins and roles.",
  'create cloudcertificationauthority':
    'A new CA was created. Confirm with the PKI owner that it is planned and check which root it is anchored to.',
  'patch cloudcertificationauthority': 'CA properties changed. Review the changes above with the PKI owner.',
};

const fallbackGuidance =
  "Confirm with the PKI owner that this Cloud PKI change was planned. If not, treat it as a security incident: review the actor's sign-ins, " +
  'roles and recent Intune audit events.';

/** App-written guidance for an activity type; a failed attempt adds a warning about probing. */
export function guidanceFor(activityType: string | null, anyFailed: boolean): string {
  const text = guidance[(activityType ?? '').toLowerCase()] ?? fallbackGuidance;
  // A failed attempt can mean someone probing without the rights to do it.
  return anyFailed
    ? `${text} At least one attempt did not succeed: someone may be trying without the needed rights.`
    : text;
}

export const noticeGuidance =
  'The alert above was not delivered to its channel. Open it in the outbox (GET /api/alerts/{id} or `pki-alerts alerts get ID`), ' +
  'fix the channel (usually a rotated or deleted Workflows URL, a removed permission or a blocked host), then test it with ' +
  '`pki-alerts channels test ID`. Further failures of this channel are not announced again until a delivery to it succeeds.';

export const testGuidance = 'This is a test sent by an administrator to check the channel. No action is needed.';
