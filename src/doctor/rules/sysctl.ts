// The sysctls TEQL needs: no strict reverse-path filter on a slave, forwarding on for a router. Pure.
import type { Finding } from '../finding.js';
import { run } from '../fix.js';
import { isUp, linkOf, type DoctorInput } from '../input.js';

export const SYSCTL_IDS = ['sysctl.rp-filter', 'sysctl.ip-forward'] as const;

const value = (x: DoctorInput, key: string): number | undefined => {
  const v = x.observed.sysctls[key];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
};

function rpFilter(x: DoctorInput): Finding[] {
  const all = value(x, 'net.ipv4.conf.all.rp_filter') ?? 0;
  const allKey = 'net.ipv4.conf.all.rp_filter';
  // A bond that is not up is bond.not-up's: `wanbond up` sets rp_filter with the rest.
  return x.desired.bonds
    .filter((b) => isUp(linkOf(x.observed.links, b.name)))
    .flatMap((b) =>
      b.slaves.flatMap((s): Finding[] => {
        if (!linkOf(x.observed.links, s.name)) return [];
        const key = `net.ipv4.conf.${s.name}.rp_filter`;
        const own = value(x, key) ?? 0;
        // The kernel applies the larger of conf/all and conf/<if> (ip-sysctl.rst); 1 is strict, 2 loose.
        if (Math.max(all, own) !== 1) return [];
        const fix = [
          ...(own !== b.rpFilter
            ? [run({ kind: 'set-sysctl', key, value: String(b.rpFilter), was: String(own) })]
            : []),
          ...(b.rpFilter === 0 && all === 1 ? [run({ kind: 'set-sysctl', key: allKey, value: '0', was: '1' })] : []),
        ];
        return [
          {
            id: 'sysctl.rp-filter',
            severity: 'error',
            bond: b.name,
            line: s.name,
            what:
              `reverse-path filtering is strict on ${s.name} (all = ${all}, ${s.name} = ${own}: the kernel ` +
              'applies the larger)',
            why:
              'the far end sends over whichever line is next, so a packet for this router arrives on ' +
              `${s.name} while the route back to its sender is ${b.name}: strict filtering drops it ("return ` +
              'path filtering turned off, because they will otherwise drop packets", LARTC)',
            fix,
          },
        ];
      }),
    );
}

function ipForward(x: DoctorInput): Finding[] {
  if (value(x, 'net.ipv4.ip_forward') === 1 || x.desired.bonds.every((b) => b.routes.length === 0)) return [];
  const bonded = new Set(x.desired.bonds.flatMap((b) => [b.name, ...b.slaves.map((s) => s.name)]));
  const lan = [...new Set(x.observed.addrs.filter((a) => a.dev !== 'lo' && !bonded.has(a.dev)).map((a) => a.dev))];
  return [
    {
      id: 'sysctl.ip-forward',
      severity: lan.length > 0 ? 'error' : 'info',
      what: 'IP forwarding is off: this machine forwards nothing between its networks and the bond',
      why:
        lan.length > 0
          ? `the hosts on ${lan.join(', ')} reach the bond only through a router that forwards; their packets ` +
            'are dropped here'
          : 'on a host that only uses the bond for itself this is right; a router needs it',
      fix: [
        run({
          kind: 'set-sysctl',
          key: 'net.ipv4.ip_forward',
          value: '1',
          was: String(value(x, 'net.ipv4.ip_forward') ?? 0),
        }),
      ],
    },
  ];
}

export function sysctlRules(x: DoctorInput): Finding[] {
  return [...rpFilter(x), ...ipForward(x)];
}
