// One record entry per thing wanbond changed, so `down` never undoes a thing twice. A later `up` that
// changes the same thing again updates the entry where it stands (the undo order stays that of the
// first change) and keeps the value from before wanbond touched it: when the value it found was its
// own (a setting changed between two `up`s), the original stays; when someone else had changed it in
// between (a DHCP renew replacing the gateway), what they set is what `down` gives back. Steps with
// nothing to undo are not recorded. Pure.
import { routeArgs } from '../plan/route.js';
import { stepType } from '../plan/step-types.js';
import type { Step } from '../plan/steps.js';

/** What a step changes, or undefined when it leaves nothing for `down` to undo. */
export function resourceOf(s: Step): string | undefined {
  switch (s.kind) {
    case 'wanrouter-start':
      return `device ${s.device}`;
    case 'load-module':
      return 'module sch_teql';
    case 'set-mtu':
      return `mtu ${s.dev}`;
    case 'attach-slave':
      return `slave ${s.dev}`;
    case 'set-link-up':
      return `link ${s.dev}`;
    case 'add-address':
      return `address ${s.dev} ${s.cidr}`;
    // main's routes keep the key records have always had; a per-line table's carry its number, and a route
    // at another metric than 0 (a probe table's guard beside its route) its metric.
    case 'replace-route': {
      const metric = s.route.metric ? ` metric ${s.route.metric}` : '';
      return s.route.table !== undefined
        ? `route table ${s.route.table} ${s.route.to}${metric}`
        : `route ${s.route.to}${metric}`;
    }
    case 'create-dummy':
      return `dummy ${s.dev}`;
    case 'nft-table':
      return 'nft table';
    case 'add-rule':
      return (
        `rule ${s.rule.priority} ${s.rule.fwmark ?? '-'}/${s.rule.mask ?? '-'} ` +
        `${s.rule.from ?? '-'} ${s.rule.oif ?? '-'} ${s.rule.table}`
      );
    case 'set-sysctl':
      return `sysctl ${s.key}`;
    case 'kind-step': {
      const r = stepType(s).resource(s);
      return r === undefined ? undefined : `${s.type} ${r}`;
    }
    default:
      return undefined;
  }
}

const sameRoute = (a: Parameters<typeof routeArgs>[0] | undefined, b: Parameters<typeof routeArgs>[0] | undefined) =>
  a !== undefined && b !== undefined && routeArgs(a).join(' ') === routeArgs(b).join(' ');

/**
 * The entry for a thing changed again: `next`, but with the value from before wanbond's first change where
 * that is still the one to restore.
 */
function merged(prev: Step, next: Step): Step {
  if (prev.kind === 'set-mtu' && next.kind === 'set-mtu' && next.was === prev.mtu) return { ...next, was: prev.was };
  if (prev.kind === 'set-sysctl' && next.kind === 'set-sysctl' && next.was === prev.value)
    return { ...next, was: prev.was };
  if (prev.kind === 'replace-route' && next.kind === 'replace-route') {
    // Found gone (removed by someone) or found as wanbond set it: what it replaced the first time comes back.
    if (next.was === undefined || sameRoute(next.was, prev.route)) return { ...next, was: prev.was };
  }
  return next;
}

export function mergeSteps(recorded: readonly Step[], done: readonly Step[]): Step[] {
  const out: Step[] = [...recorded];
  for (const s of done) {
    const key = resourceOf(s);
    if (key === undefined) continue;
    const at = out.findIndex((x) => resourceOf(x) === key);
    if (at >= 0) out[at] = merged(out[at] as Step, s);
    else out.push(s);
  }
  return out;
}

/** The record without the entries of these steps (by what they changed: a later change merged there goes too). */
export function withoutEntries(recorded: readonly Step[], steps: readonly Step[]): Step[] {
  const keys = new Set(steps.map(resourceOf).filter((k) => k !== undefined));
  return recorded.filter((s) => !keys.has(resourceOf(s) ?? ''));
}
