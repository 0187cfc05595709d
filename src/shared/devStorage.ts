/**
 * The Storage emulator's well-known development account (public, documented by Microsoft): what
 * `UseDevelopmentStorage=true` stands for. Azurite serves it locally; nothing here is a secret.
 */
export const devAccountName = 'devstoreaccount1';
export const devAccountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** Azurite's default endpoints for the development account (Blob 10000, Queue 10001, Table 10002). */
export const devQueueEndpoint = `http://127.0.0.1:10001/${devAccountName}`;
export const devTableEndpoint = `http://127.0.0.1:10002/${devAccountName}`;
