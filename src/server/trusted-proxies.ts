import { BlockList, isIP } from 'node:net';
import { describeValue } from '../errors.js';
import { GATEWAY_DEFAULTS } from './config-defaults.js';
import { bad, strings } from './config-fields.js';

/**
 * `trustedProxies`: the peers whose gateway headers (`X-Original-*`, `X-Forwarded-*`) are believed,
 * as addresses and CIDRs.
 */

/** `::ffff:10.0.0.1` is `10.0.0.1`: an IPv4 peer on a dual-stack socket. */
export function normalizeAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** The `trustedProxies` list (default loopback) as a BlockList; each entry an address or a CIDR. */
export function trusted(path: string, v: unknown): BlockList {
  const list = new BlockList();
  const entries = v === undefined ? [...GATEWAY_DEFAULTS.trustedProxies] : strings(path, v, false);
  entries.forEach((e, i) => {
    const p = `${path}[${i}]`;
    const slash = e.indexOf('/');
    const addr = normalizeAddress(slash < 0 ? e : e.slice(0, slash));
    const family = isIP(addr);
    if (family === 0) throw bad(p, `must be an IP address or a CIDR such as "10.0.0.0/8", got ${describeValue(e, 60)}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash < 0) list.addAddress(addr, type);
    else {
      const bits = e.slice(slash + 1);
      if (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128))
        throw bad(p, `has a bad prefix length ${describeValue(bits, 10)}`);
      list.addSubnet(addr, Number(bits), type);
    }
  });
  return list;
}
