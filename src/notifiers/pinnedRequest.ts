import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DeliveryError } from '../shared/errors';
import { type HttpResult, maxResponseBodyBytes } from './httpResult';
import { blockedAddressClass } from './urlPolicy';

/** Resolves a host name to every address (injected in tests: no real DNS). */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Raised by the checked lookup; carries the blocked class, never the address list. */
class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
}

/**
 * A `lookup` for net.connect that resolves once, rejects the host if ANY of its addresses is not public
 * unicast (loopback allowed only in development), and hands the connection exactly the addresses it
 * checked: the socket connects to a checked IP, so DNS rebinding between check and connect is impossible.
 */
export function checkedLookup(resolve: ResolveHost, allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname)
      .then((addresses) => {
        if (addresses.length === 0) throw Object.assign(new Error('no address'), { code: 'ENOTFOUND' });
        for (const { address } of addresses) {
          const blocked = blockedAddressClass(address);
          if (blocked && !(allowLoopback && blocked === 'loopback'))
            throw new BlockedAddressError(`resolves to a ${blocked} address`);
        }
        const family = typeof options.family === 'number' && options.family !== 0 ? options.family : undefined;
        const usable = family ? addresses.filter((a) => a.family === family) : addresses;
        if (usable.length === 0) throw Object.assign(new Error(`no IPv${family} address`), { code: 'ENOTFOUND' });
        if (options.all) (callback as unknown as (e: null, a: typeof usable) => void)(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      })
      .catch((err: Error) => callback(err as NodeJS.ErrnoException, '', 0));
  };
}

export interface PinnedPostOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  resolve: ResolveHost;
  allowLoopback: boolean;
  label: string;
}

/**
 * POSTs `payload` with node:http(s), resolving the host through {@link checkedLookup} on a fresh
 * connection (no pooled socket can skip the check). No redirects are followed; the body read is capped.
 */
export function postPinned(url: string, payload: string, options: PinnedPostOptions): Promise<HttpResult> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<HttpResult>((resolve, reject) => {
    const request = client.request(
      {
        protocol: target.protocol,
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || undefined,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(payload)) },
        lookup: checkedLookup(options.resolve, options.allowLoopback),
        agent: false,
        signal: options.signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers))
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).subarray(0, maxResponseBodyBytes).toString('utf8'),
            headers,
          });
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.byteLength;
          if (size >= maxResponseBodyBytes) {
            response.destroy();
            finish();
          }
        });
        response.on('end', finish);
        response.on('error', reject);
      },
    );
    request.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'EBLOCKEDADDRESS') {
        reject(
          new DeliveryError(
            'blocked-url',
            `channel '${options.label}': destination ${target.protocol}//${target.host} ${err.message}; blocked (private, loopback, link-local, metadata and other non-public addresses are never called)`,
            false,
          ),
        );
      } else reject(err);
    });
    request.end(payload);
  });
}
