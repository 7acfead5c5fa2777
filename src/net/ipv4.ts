// IPv4 addresses, prefixes and interface names as wanbond reads and writes them. Pure, and the base
// of every folder: it imports nothing of wanbond's, so config, plan, observe and the bond kinds can
// all use it without a cycle.

/** Interface names the kernel accepts (IFNAMSIZ 16 incl. NUL), restricted to what is safe on a command line. */
export const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}$/;

/** A dotted IPv4 address, each part 0-255: what may reach a command as an address. */
export const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 address with an optional prefix length: a route's destination, an nft prefix. */
export const PREFIX_RE = new RegExp(`${IPV4_RE.source.slice(0, -1)}(\\/(3[0-2]|[12]?\\d))?$`);

export const isIpv4 = (s: string): boolean => IPV4_RE.test(s);

export function parseCidr(text: string): { addr: string; len: number } | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m || !isIpv4(m[1] as string) || Number(m[2]) > 32) return undefined;
  return { addr: m[1] as string, len: Number(m[2]) };
}

/** A dotted IPv4 address as an unsigned 32-bit number, and back. */
export const ipv4ToNumber = (addr: string): number => addr.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
export const numberToIpv4 = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** The network a CIDR belongs to, as the kernel names its prefix route ("10.0.0.0/31"). */
export function networkOf(cidr: string): string {
  const c = parseCidr(cidr);
  if (!c) return cidr;
  const mask = c.len === 0 ? 0 : (0xffffffff << (32 - c.len)) >>> 0;
  return `${numberToIpv4((ipv4ToNumber(c.addr) & mask) >>> 0)}/${c.len}`;
}

/** net.ipv4.conf.eth0.100.rp_filter -> net/ipv4/conf/eth0.100/rp_filter (and net.ipv6.conf alike) */
export function toSlashKey(key: string): string {
  const m = /^net\.(ipv4|ipv6)\.conf\.(.+)\.([a-z0-9_]+)$/.exec(key);
  return m ? `net/${m[1]}/conf/${m[2]}/${m[3]}` : key.replace(/\./g, '/');
}
