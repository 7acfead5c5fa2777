// What `down` runs: the inverse of each step `up` recorded, newest first, where the kernel still
// shows what wanbond made. Anything the operator changed since is left alone. Pure.
import type { ObservedState } from '../state/types.js';
import { inverse, type Step } from './steps.js';

function stillOurs(inv: Step, o: ObservedState): boolean {
  const link = (n: string) => o.links.find((l) => l.name === n);
  switch (inv.kind) {
    case 'wanrouter-stop': return inv.device === 'all' ? (o.wanrouterDevices ?? []).length > 0 : (o.wanrouterDevices ?? []).some((d) => d.name === inv.device);
    case 'unload-module': return o.teqlLoaded;
    case 'set-mtu': return link(inv.dev)?.mtu === inv.was;
    case 'detach-slave': return o.qdiscs.some((q) => q.dev === inv.dev && q.root && q.kind === inv.teql);
    case 'set-link-down': return link(inv.dev)?.flags.includes('UP') === true;
    case 'del-address': {
      const [local, len] = inv.cidr.split('/');
      return o.addrs.some((a) => a.dev === inv.dev && a.local === local && String(a.prefixlen) === len);
    }
    case 'del-route': return o.routes.some((r) => r.dst === inv.route.to && r.dev === inv.route.dev && !r.gateway);
    case 'restore-route': return o.routes.some((r) => r.dst === inv.replaced.to && r.dev === inv.replaced.dev && !r.gateway);
    case 'set-sysctl': return o.sysctls[inv.key] === inv.was;
    default: return true;
  }
}

export function teardown(recorded: readonly Step[], o: ObservedState): Step[] {
  const out: Step[] = [];
  for (const s of [...recorded].reverse()) {
    const inv = inverse(s);
    if (inv && stillOurs(inv, o)) out.push(inv);
  }
  return out;
}

/** Sysctl keys `down` must read to decide. */
export function recordedSysctlKeys(recorded: readonly Step[]): string[] {
  return [...new Set(recorded.flatMap((s) => (s.kind === 'set-sysctl' ? [s.key] : [])))];
}
