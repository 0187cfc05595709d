/** How the admin API authenticates callers (ADMIN_AUTH_MODE and the role settings), parsed by config.ts. */
export interface AuthSettings {
  /** `key`: the Functions host checks function keys; a key holder is an admin. `entra`: App Service Authentication in front; app roles decide. */
  mode: 'key' | 'entra';
  adminRole: string;
  readerRole: string;
  /** `entra` mode: the client id of the app registration App Service Authentication must use (ADMIN_AUTH_CLIENT_ID); see adminAuthPosture. */
  clientId?: string;
}
