import { BlockList, isIP } from 'node:net';

/** Why an IP address or CIDR range is invalid, or undefined when it is fine (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`). */
export function ipRangeProblem(text: string): string | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family === 0 || address.includes('%')) return 'must be an IPv4 / IPv6 address or CIDR range (e.g. 10.0.0.0/8)';
  if (slash < 0) return undefined;
  const prefix = text.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `CIDR prefix length must be 0-${max}`;
  return undefined;
}

/**
 * Compiles addresses and CIDR ranges (validated beforehand) into a matcher backed by node:net's BlockList,
 * which also matches IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) against IPv4 ranges. An event address
 * that is null or not an IP never matches.
 */
export function compileIpRanges(ranges: readonly string[]): (address: string | null) => boolean {
  const list = new BlockList();
  for (const r of ranges) {
    const [address, prefix] = r.split('/');
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (address) => {
    if (address === null) return false;
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}
