// One record entry per thing wanbond changed, so `down` never undoes a thing twice: a later `up`
// that changes the same thing again replaces the earlier entry, keeping the value from before
// wanbond's latest change (a DHCP renew between two `up`s gives the renewed gateway back, not the
// first one). Steps with nothing to undo are not recorded. Pure.
import type { Step } from '../plan/steps.js';

/** What a step changes, or undefined when it leaves nothing for `down` to undo. */
export function resourceOf(s: Step): string | undefined {
  switch (s.kind) {
    case 'wanrouter-start': return `device ${s.device}`;
    case 'load-module': return 'module sch_teql';
    case 'set-mtu': return `mtu ${s.dev}`;
    case 'attach-slave': return `slave ${s.dev}`;
    case 'set-link-up': return `link ${s.dev}`;
    case 'add-address': return `address ${s.dev} ${s.cidr}`;
    case 'replace-route': return `route ${s.route.to}`;
    case 'set-sysctl': return `sysctl ${s.key}`;
    default: return undefined;
  }
}

export function mergeSteps(recorded: readonly Step[], done: readonly Step[]): Step[] {
  const out: Step[] = [...recorded];
  for (const s of done) {
    const key = resourceOf(s);
    if (key === undefined) continue;
    const at = out.findIndex((x) => resourceOf(x) === key);
    let next = s;
    if (at >= 0) {
      const prev = out[at] as Step;
      out.splice(at, 1);
      // A route wanbond took over before and finds missing now was removed by someone: what it had
      // replaced the first time is still the route to give back.
      if (prev.kind === 'replace-route' && s.kind === 'replace-route' && s.was === undefined && prev.was !== undefined) next = { ...s, was: prev.was };
    }
    out.push(next);
  }
  return out;
}
