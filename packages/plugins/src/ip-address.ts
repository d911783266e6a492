// One spelling per address, so that the network rules compare addresses, not strings (red team 2,
// finding 1: `::ffff:7f00:1`, `0:0:0:0:0:ffff:127.0.0.1` and `0:0:0:0:0:0:0:1` passed a check
// that knew only `127.…`, `::1` and `::ffff:127.…`). The WHATWG URL parser does the parsing:
// IPv6 in every compressed or uncompressed form, IPv4 in decimal, octal and hex, whole or in
// parts (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`), as the C resolver would take them.
//
//   "0:0:0:0:0:ffff:127.0.0.1" ─▶ "127.0.0.1"     (IPv4-mapped IPv6 is IPv4: Linux connects it so)
//   "[0:0::1]", "::0:1"        ─▶ "::1"
//   "0x7f.1", "2130706433"     ─▶ "127.0.0.1"
//   "fe80::1%eth0"             ─▶ "fe80::1"       (the zone names a link, not another address)
//   "example.com."             ─▶ "example.com"   (a name: ASCII, lower case, no final dot)

import { domainToASCII } from "node:url";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";

const MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;
/** An IPv4 address as the resolver also takes it: digits, dots and hex only. */
const IPV4_LIKE = /^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$/i;

const hexPairToIpv4 = (high: string, low: string): string => {
  const h = parseInt(high, 16);
  const l = parseInt(low, 16);
  return `${h >> 8}.${h & 255}.${l >> 8}.${l & 255}`;
};

/** The one spelling of an IP address (IPv4 for a mapped IPv6 one), or undefined when `text` is not an IP address. */
export function canonicalAddress(text: string): string | undefined {
  const bare = text.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  const unzoned = bare.includes(":") ? bare.replace(/%.*$/, "") : bare;
  if (isIP(unzoned) === 6) {
    const v6 = new URL(`http://[${unzoned}]/`).hostname.slice(1, -1);
    const mapped = MAPPED.exec(v6);
    return mapped ? hexPairToIpv4(mapped[1]!, mapped[2]!) : v6;
  }
  if (!IPV4_LIKE.test(unzoned)) return undefined;
  try {
    const host = new URL(`http://${unzoned}/`).hostname;
    return isIP(host) === 4 ? host : undefined;
  } catch {
    return undefined; // 256.1.1.1, 1.2.3.4.5: no address (and no name the resolver would take)
  }
}

/** The one spelling of a destination: its canonical address, else the name in ASCII, lower case, without a final dot. */
export function canonicalHost(text: string): string {
  const address = canonicalAddress(text);
  if (address) return address;
  const name = text.trim().toLowerCase().replace(/\.$/, "");
  return domainToASCII(name) || name;
}

/**
 * Whether a canonical address is this machine: loopback (127.0.0.0/8, ::1), "any" (0.0.0.0/8 and
 * ::, which Linux connects to itself), IPv4-compatible IPv6 (::a.b.c.d), and every address of
 * every interface (read now: interfaces come and go).
 */
export function isThisMachine(address: string): boolean {
  if (isIP(address) === 4) {
    const first = Number(address.split(".")[0]);
    if (first === 127 || first === 0) return true;
  } else if (address === "::" || address === "::1" || /^::[0-9a-f]{1,4}(:[0-9a-f]{1,4})?$/.test(address)) {
    return true;
  }
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (canonicalAddress(a.address) === address) return true;
  return false;
}
