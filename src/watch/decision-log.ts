// What the daemon says of each ring decision: said once when it starts being true and once when it
// stops (a bond with every line down, a bond left alone, a line held out for a problem of its own,
// lines another qdisc holds), never on every pass. A bond that a reload removed is forgotten without
// a word: its lines did not come back.
import { kindOf } from '../bonds/registry.js';
import type { DesiredBond } from '../state/types.js';
import type { Log } from '../log.js';
import type { RingDecision } from './ring.js';

export class DecisionLog {
  private readonly allDown = new Set<string>();
  private readonly skippedSaid = new Set<string>();
  private foreignSaid = '';
  /** Lines held out for a problem of their own, with what was said of them (an uplink's addresses then). */
  private readonly heldSaid = new Map<string, { said: string; back: string; backText: string }>();

  constructor(
    private readonly log: Log,
    private readonly bonds: () => readonly DesiredBond[],
  ) {}

  isAllDown(bond: string): boolean {
    return this.allDown.has(bond);
  }

  /** After a reload: what was said of bonds no longer configured goes (memory stays flat). */
  forgetGone(): void {
    const names = new Set(this.bonds().map((b) => b.name));
    for (const b of [...this.allDown]) if (!names.has(b)) this.allDown.delete(b);
    for (const b of [...this.skippedSaid]) if (!names.has(b)) this.skippedSaid.delete(b);
    const lines = new Set(this.bonds().flatMap((b) => b.slaves.map((s) => s.name)));
    for (const l of [...this.heldSaid.keys()]) if (!lines.has(l)) this.heldSaid.delete(l);
  }

  /** Says what started or stopped being true; returns whether a bond's every-line-down state changed. */
  note(d: RingDecision): boolean {
    this.forgetGone();
    const was = [...this.allDown].sort().join();
    const bonds = this.bonds();
    for (const name of d.allDown) {
      if (this.allDown.has(name)) continue;
      this.allDown.add(name);
      const b = bonds.find((x) => x.name === name);
      this.log.error(
        { event: 'all-lines-down', bond: name, lines: b?.slaves.map((s) => s.name) ?? [] },
        `${name}: EVERY LINE IS DOWN; all stay in the ring (${b ? kindOf(b).allDown : ''}) and the probes go on`,
      );
    }
    for (const name of [...this.allDown]) {
      if (d.allDown.includes(name)) continue;
      this.allDown.delete(name);
      this.log.warn({ event: 'lines-back', bond: name }, `${name}: a line works again`);
    }
    for (const s of d.skipped) {
      if (this.skippedSaid.has(s.teql)) continue;
      this.skippedSaid.add(s.teql);
      this.log.warn(
        { event: 'bond-skipped', bond: s.teql, why: s.why, ...(s.fix ? { fix: s.fix } : {}) },
        `${s.teql}: left alone (${s.why}); ${
          s.fix ? `fix: ${s.fix}` : '`wanbond up` brings it up, and the daemon keeps it from then on'
        }`,
      );
    }
    for (const t of [...this.skippedSaid]) if (!d.skipped.some((s) => s.teql === t)) this.skippedSaid.delete(t);
    for (const h of d.held) {
      if (this.heldSaid.get(h.name)?.said === h.said) continue;
      this.heldSaid.set(h.name, { said: h.said, back: h.log.back, backText: h.log.backText });
      const rec = { event: h.log.held, bond: h.bond, line: h.name, ...h.log.fields, fix: h.text.hint };
      this.log.error(rec, `${h.text.what}; ${h.text.why}`);
    }
    for (const [name, was] of [...this.heldSaid]) {
      if (d.held.some((h) => h.name === name)) continue;
      this.heldSaid.delete(name);
      this.log.warn({ event: was.back, line: name }, was.backText);
    }
    const foreign = d.foreign.map((f) => `${f.line}:${f.why}`).join(',');
    if (foreign !== this.foreignSaid && d.foreign.length > 0) {
      this.log.warn(
        { event: 'lines-skipped', lines: d.foreign },
        'left alone: ' +
          d.foreign
            .map((f) => `${f.line} (${f.why}; fix: tc qdisc del dev ${f.line} root, or take it out of [${f.teql}])`)
            .join(', '),
      );
    }
    this.foreignSaid = foreign;
    return [...this.allDown].sort().join() !== was;
  }
}
