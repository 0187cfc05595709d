/** What a receiver answered: status, the first {@link maxResponseBodyBytes} of the body, headers. */
export interface HttpResult {
  status: number;
  body: string;
  headers: Headers;
}

/** How much of a response body is read (a receiver cannot make a send hold unbounded memory). */
export const maxResponseBodyBytes = 64 * 1024;
