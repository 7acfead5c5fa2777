// One line's health, from every signal there is, as a pure reducer with an injected clock:
// up -> suspect -> down -> probation -> up, with hysteresis (a line is judged down on a hard signal
// at once, on silence only after `downAfterMs`; it rejoins only after `holdDownMs` of clean health)
// and flap damping as in BGP (RFC 2439): each fall adds a penalty that halves every `halfLifeMs`;
// a line whose penalty passes `suppressAt` stays out until it has decayed below `reuseBelow`.
// docs/WATCH.md justifies the defaults.

export type HealthState = 'up' | 'suspect' | 'down' | 'probation';

export interface HealthConfig {
  probeIntervalMs: number;
  /** A probe with no answer this long after it went out counts as lost (for the loss ratio). */
  probeTimeoutMs: number;
  /** No answer at all for this long: suspect; for `downAfterMs`: down. */
  suspectAfterMs: number;
  downAfterMs: number;
  /** The loss ratio is taken over this many settled probes. */
  lossWindow: number;
  suspectLoss: number;
  downLoss: number;
  holdDownMs: number;
  flapPenalty: number;
  suppressAt: number;
  reuseBelow: number;
  halfLifeMs: number;
  maxPenalty: number;
  /**
   * A probe that has never answered while its bond's other lines' probes answer: after this long (from the
   * later of its start and the first answer of another line's probe), its line is judged down.
   */
  neverAnsweredMs: number;
}

export const DEFAULT_HEALTH: HealthConfig = {
  probeIntervalMs: 200,
  probeTimeoutMs: 1000,
  suspectAfterMs: 400,
  downAfterMs: 700,
  lossWindow: 10,
  suspectLoss: 0.2,
  downLoss: 0.5,
  holdDownMs: 3000,
  flapPenalty: 1000,
  suppressAt: 2000,
  reuseBelow: 750,
  halfLifeMs: 30_000,
  maxPenalty: 6000,
  neverAnsweredMs: 5000,
};

/**
 * T1 alarms that mean the line carries nothing (RAI: the far end hears nothing from us), and the device
 * Disconnected.
 */
export const LINE_ALARMS = ['RED', 'AIS', 'LOF', 'LOS', 'ALOS', 'RAI', 'DISCONNECTED'] as const;

export interface LinkSignal {
  present: boolean;
  ifindex?: number;
  up: boolean;
  carrier: boolean;
}

export type Signal =
  | ({ kind: 'link' } & LinkSignal)
  /** The device's T1 alarms now on, and its error counters (running totals). */
  | { kind: 'alarms'; active: string[]; counters: Record<string, number> }
  | { kind: 'probe-start'; target: string }
  /**
   * The probe stopped. `removed`: it has no target any more (a reload set probe.<line> = none, or took its
   * far end away): what it said of the line (a ping that could not run, a far end that answered) goes with it.
   */
  | { kind: 'probe-stop'; removed?: boolean }
  /** ping exited soon after its start (it cannot run: no route, no device); it is started again. */
  | { kind: 'probe-failed'; text: string }
  /** The probe was held for `ms` (while the daemon changed the ring): that time is not silence. */
  | { kind: 'probe-paused'; ms: number }
  | { kind: 'reply'; seq: number; rttMs: number }
  /** ping -O: probe `seq` had no answer when the next one went out. */
  | { kind: 'pending'; seq: number }
  /** When a probe of another line of the same bond first answered (undefined: none has). */
  | { kind: 'peers'; answeredAt: number | undefined }
  | { kind: 'tick' };

export interface LineHealth {
  line: string;
  state: HealthState;
  since: number;
  reason: string;
  link: LinkSignal | undefined;
  /** When the hard signals last cleared: silence is counted from then, not from before. */
  hardClearedAt: number | undefined;
  alarms: string[];
  counters: Record<string, number>;
  errorsRising: boolean;
  probe: {
    target: string | undefined;
    startedAt: number | undefined;
    lastReplyAt: number | undefined;
    rttMs: number | undefined;
    /** seq -> when it went out, for probes reported unanswered. */
    pending: Record<string, number>;
    /** Settled probes, newest last: true answered, false lost. */
    window: boolean[];
    /**
     * The newest probe answered (-1: none since this ping started), and how many sent after it ping has
     * reported unanswered.
     */
    answeredSeq: number;
    missed: number;
    /** The target has answered at least once: until then its silence says nothing (a far end that drops ICMP). */
    verified: boolean;
    /** When this target was first probed: a ping that keeps restarting (it cannot run) does not reset it. */
    targetSince: number | undefined;
    /** Answers since the line last fell: a fallen line returns only on fresh answers. */
    repliesSinceFall: number;
    /** ping itself cannot run (it exits at once): why, until the next answer. */
    failing: string | undefined;
  };
  penalty: number;
  penaltyAt: number;
  suppressed: boolean;
  flaps: number;
  /** In probation: since when the line has been clean without a break. */
  cleanSince: number | undefined;
  /** When a probe of another line of the bond first answered: this line's own silence then says something. */
  peersAnsweredAt: number | undefined;
}

export interface Transition {
  line: string;
  from: HealthState;
  to: HealthState;
  reason: string;
  /** The signal that decided it and its values. */
  signal: string;
  values: Record<string, unknown>;
  at: number;
}

export function initialHealth(line: string, now: number, target?: string): LineHealth {
  return {
    line,
    state: 'up',
    since: now,
    reason: 'at start',
    link: undefined,
    hardClearedAt: now,
    alarms: [],
    counters: {},
    errorsRising: false,
    probe: {
      target,
      startedAt: undefined,
      lastReplyAt: undefined,
      rttMs: undefined,
      pending: {},
      window: [],
      answeredSeq: -1,
      missed: 0,
      verified: false,
      targetSince: undefined,
      repliesSinceFall: 0,
      failing: undefined,
    },
    penalty: 0,
    penaltyAt: now,
    suppressed: false,
    flaps: 0,
    cleanSince: undefined,
    peersAnsweredAt: undefined,
  };
}

export const inRing = (h: LineHealth): boolean => h.state === 'up' || h.state === 'suspect';

export function penaltyAt(h: LineHealth, now: number, cfg: HealthConfig): number {
  return h.penalty * 2 ** (-Math.max(0, now - h.penaltyAt) / cfg.halfLifeMs);
}

type Verdict = { level: 'down' | 'suspect' | 'clean'; reason: string; signal: string; values: Record<string, unknown> };

function hardProblem(h: LineHealth): Verdict | undefined {
  const l = h.link;
  if (!l) return undefined;
  if (!l.present) return { level: 'down', reason: 'interface missing', signal: 'link', values: { present: false } };
  if (!l.up)
    return {
      level: 'down',
      reason: 'interface down (the driver took it down)',
      signal: 'link',
      values: { ifindex: l.ifindex, up: false },
    };
  if (!l.carrier)
    return { level: 'down', reason: 'no carrier', signal: 'link', values: { ifindex: l.ifindex, carrier: false } };
  if (h.alarms.length > 0)
    return { level: 'down', reason: `T1 alarm ${h.alarms.join(', ')}`, signal: 'alarms', values: { alarms: h.alarms } };
  return undefined;
}

function lossOf(h: LineHealth, cfg: HealthConfig): number | undefined {
  const w = h.probe.window;
  if (w.length < Math.ceil(cfg.lossWindow / 2)) return undefined;
  return w.filter((x) => !x).length / w.length;
}

/**
 * Silence alone is not enough: a router whose CPU is busy (or a ping held up) is silent without any
 * probe lost. The probes ping reports unanswered, counted from the newest answered one, must also
 * add up to the silence: as many as went out in it after the first (2 for 700 ms at 200 ms).
 */
export const missedFor = (ms: number, cfg: HealthConfig) => Math.max(1, Math.floor(ms / cfg.probeIntervalMs) - 1);

/** The probe runs and its target has answered once: its silence and losses count. */
const probing = (h: LineHealth) => h.probe.target !== undefined && h.probe.startedAt !== undefined && h.probe.verified;

/** Its probe runs and has never answered, while another line's of the bond has: since when that counts. */
const unansweredSince = (h: LineHealth): number | undefined => {
  const p = h.probe;
  if (p.target === undefined || p.targetSince === undefined || p.verified || h.peersAnsweredAt === undefined)
    return undefined;
  // From its first start: a ping that keeps exiting (no route) and restarting is still a probe not answered.
  return Math.max(p.targetSince, h.peersAnsweredAt, h.hardClearedAt ?? -Infinity);
};

/**
 * A far end that never answers says nothing by itself (it may drop ICMP), but when the bond's other lines'
 * far ends answer theirs, a line whose far end has stayed silent is one that does not carry (docs/WATCH.md).
 */
function neverAnswered(h: LineHealth, now: number, cfg: HealthConfig): Verdict | undefined {
  const from = unansweredSince(h);
  if (from === undefined || now - from < cfg.neverAnsweredMs) return undefined;
  return {
    level: 'down',
    reason:
      `${h.probe.target} has never answered (for ${Math.round((now - from) / 1000)} s), ` +
      "while the bond's other lines' probes answer",
    signal: 'probe',
    values: { target: h.probe.target, verified: false, peersAnsweredAt: h.peersAnsweredAt },
  };
}

function judge(h: LineHealth, now: number, cfg: HealthConfig): Verdict {
  const hard = hardProblem(h);
  if (hard) return hard;
  const p = h.probe;
  if (
    p.target !== undefined &&
    p.verified &&
    p.failing !== undefined &&
    now - Math.max(p.lastReplyAt ?? -Infinity, h.hardClearedAt ?? -Infinity) >= cfg.downAfterMs
  ) {
    return {
      level: 'down',
      reason: `the probe cannot run: ${p.failing}`,
      signal: 'probe',
      values: { target: p.target, failing: p.failing },
    };
  }
  const never = neverAnswered(h, now, cfg);
  if (never) return never;
  if (probing(h)) {
    const from = Math.max(p.lastReplyAt ?? -Infinity, p.startedAt as number, h.hardClearedAt ?? -Infinity);
    const silence = now - from;
    const values = {
      target: p.target,
      silenceMs: Math.round(silence),
      missed: p.missed,
      lastReplyAt: p.lastReplyAt,
      loss: lossOf(h, cfg),
    };
    if (silence >= cfg.downAfterMs && p.missed >= missedFor(cfg.downAfterMs, cfg))
      return {
        level: 'down',
        reason: `no answer from ${p.target} for ${Math.round(silence)} ms`,
        signal: 'probe',
        values,
      };
    const loss = lossOf(h, cfg);
    if (loss !== undefined && loss >= cfg.downLoss)
      return {
        level: 'down',
        reason: `${Math.round(loss * 100)}% of probes to ${p.target} lost`,
        signal: 'probe',
        values,
      };
    if (silence >= cfg.suspectAfterMs && p.missed >= missedFor(cfg.suspectAfterMs, cfg))
      return {
        level: 'suspect',
        reason: `no answer from ${p.target} for ${Math.round(silence)} ms`,
        signal: 'probe',
        values,
      };
    if (loss !== undefined && loss >= cfg.suspectLoss)
      return {
        level: 'suspect',
        reason: `${Math.round(loss * 100)}% of probes to ${p.target} lost`,
        signal: 'probe',
        values,
      };
  }
  if (h.errorsRising)
    return { level: 'suspect', reason: 'line errors rising', signal: 'errors', values: { counters: h.counters } };
  return { level: 'clean', reason: probing(h) ? `answers ${p.target}` : 'link up', signal: 'link', values: {} };
}

const pushWindow = (w: boolean[], x: boolean, n: number) => [...w, x].slice(-n);

/** a comes after b in ping's 16-bit icmp_seq, which wraps after 65535 (3.6 h at 5 a second). */
export const seqAfter = (a: number, b: number): boolean => {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
};

/** The signal folded into the line's readings, before any judgement. */
function absorb(h: LineHealth, sig: Signal, now: number, cfg: HealthConfig): LineHealth {
  switch (sig.kind) {
    case 'link': {
      const { kind: _k, ...link } = sig;
      const wasHard = hardProblem(h) !== undefined || h.link === undefined;
      const next = { ...h, link };
      if (wasHard && hardProblem(next) === undefined) next.hardClearedAt = now;
      return next;
    }
    case 'alarms': {
      const rising = Object.entries(sig.counters).some(
        ([k, v]) => h.counters[k] !== undefined && v > (h.counters[k] as number),
      );
      const wasHard = hardProblem(h) !== undefined;
      const next = {
        ...h,
        alarms: LINE_ALARMS.filter((a) => sig.active.includes(a)),
        counters: sig.counters,
        errorsRising: rising,
      };
      if (wasHard && hardProblem(next) === undefined) next.hardClearedAt = now;
      return next;
    }
    // A new ping numbers its probes from 1 again.
    // A new ping numbers its probes from 1 again; a new target has to prove itself again.
    case 'probe-start':
      return {
        ...h,
        probe: {
          ...h.probe,
          target: sig.target,
          startedAt: now,
          pending: {},
          answeredSeq: -1,
          missed: 0,
          verified: h.probe.verified && h.probe.target === sig.target,
          targetSince: h.probe.target === sig.target && h.probe.targetSince !== undefined ? h.probe.targetSince : now,
        },
      };
    case 'probe-stop': {
      const stopped = { ...h.probe, startedAt: undefined, pending: {}, answeredSeq: -1, missed: 0 };
      return {
        ...h,
        probe: sig.removed
          ? {
              ...stopped,
              target: undefined,
              failing: undefined,
              verified: false,
              lastReplyAt: undefined,
              targetSince: undefined,
            }
          : stopped,
      };
    }
    case 'probe-failed':
      return { ...h, probe: { ...h.probe, failing: sig.text } };
    case 'probe-paused': {
      const p = h.probe;
      const shift = (x: number | undefined) => (x === undefined ? undefined : x + sig.ms);
      return {
        ...h,
        probe: {
          ...p,
          startedAt: shift(p.startedAt),
          lastReplyAt: shift(p.lastReplyAt),
          pending: Object.fromEntries(Object.entries(p.pending).map(([k, v]) => [k, v + sig.ms])),
        },
      };
    }
    case 'reply': {
      let pending = { ...h.probe.pending };
      delete pending[String(sig.seq)];
      let window = h.probe.window;
      // The first answer ever, or after a dead spell: what was lost before says nothing now.
      if (!h.probe.verified) {
        window = [];
        pending = {};
      } else if (h.state === 'down' && window.every((x) => !x)) {
        window = [];
        pending = Object.fromEntries(Object.entries(pending).filter(([k]) => seqAfter(Number(k), sig.seq)));
      }
      const newest =
        h.probe.answeredSeq < 0 || sig.seq === h.probe.answeredSeq || seqAfter(sig.seq, h.probe.answeredSeq);
      return {
        ...h,
        probe: {
          ...h.probe,
          pending,
          window: pushWindow(window, true, cfg.lossWindow),
          lastReplyAt: now,
          rttMs: sig.rttMs,
          answeredSeq: newest ? sig.seq : h.probe.answeredSeq,
          missed: newest ? 0 : h.probe.missed,
          verified: true,
          repliesSinceFall: h.probe.repliesSinceFall + 1,
          failing: undefined,
        },
      };
    }
    // A probe that could not reach the line while it was known dead is no news.
    case 'pending': {
      if (hardProblem(h) !== undefined) return h;
      const p = h.probe;
      return {
        ...h,
        probe: {
          ...p,
          pending: { ...p.pending, [String(sig.seq)]: now - cfg.probeIntervalMs },
          missed: p.answeredSeq < 0 || seqAfter(sig.seq, p.answeredSeq) ? p.missed + 1 : p.missed,
        },
      };
    }
    case 'peers':
      return { ...h, peersAnsweredAt: sig.answeredAt };
    case 'tick':
      return h;
  }
}

/** Pending probes older than the timeout become losses. */
function settle(h: LineHealth, now: number, cfg: HealthConfig): LineHealth {
  const old = Object.entries(h.probe.pending).filter(([, at]) => now - at >= cfg.probeTimeoutMs);
  if (old.length === 0) return h;
  const pending = { ...h.probe.pending };
  let window = h.probe.window;
  for (const [seq] of old) {
    delete pending[seq];
    window = pushWindow(window, false, cfg.lossWindow);
  }
  return { ...h, probe: { ...h.probe, pending, window } };
}

function fall(h: LineHealth, v: Verdict, now: number, cfg: HealthConfig): LineHealth {
  const penalty = Math.min(cfg.maxPenalty, penaltyAt(h, now, cfg) + cfg.flapPenalty);
  return {
    ...h,
    state: 'down',
    since: now,
    reason: v.reason,
    penalty,
    penaltyAt: now,
    flaps: h.flaps + 1,
    suppressed: h.suppressed || penalty >= cfg.suppressAt,
    cleanSince: undefined,
    // Fresh evidence only: what the probes said before the fall does not vouch for the recovery.
    probe: { ...h.probe, window: [], pending: {}, repliesSinceFall: 0 },
  };
}

/**
 * A fallen line comes back on an answer when its probe has answered before (even while that probe waits for
 * the interface to come up again), or when its bond's other lines' probes answer. Otherwise a link that clears
 * is enough.
 */
const mustAnswer = (h: LineHealth): boolean =>
  h.probe.target !== undefined &&
  (h.probe.verified ? h.probe.repliesSinceFall === 0 : unansweredSince(h) !== undefined);

export interface StepResult {
  next: LineHealth;
  transitions: Transition[];
}

export function step(prev: LineHealth, sig: Signal, now: number, cfg: HealthConfig = DEFAULT_HEALTH): StepResult {
  let h = settle(absorb(prev, sig, now, cfg), now, cfg);
  const transitions: Transition[] = [];
  const go = (to: LineHealth, v: Verdict) => {
    transitions.push({
      line: h.line,
      from: h.state,
      to: to.state,
      reason: to.reason,
      signal: v.signal,
      values: v.values,
      at: now,
    });
    h = to;
  };
  // An interface recreated (a device restart, a driver reload) is a new interface outside the ring.
  const recreated =
    sig.kind === 'link' &&
    sig.present &&
    prev.link?.present === true &&
    prev.link.ifindex !== undefined &&
    sig.ifindex !== undefined &&
    sig.ifindex !== prev.link.ifindex;
  if (recreated && inRing(h)) {
    const v: Verdict = {
      level: 'down',
      reason: `interface recreated (ifindex ${prev.link?.ifindex} -> ${sig.ifindex})`,
      signal: 'link',
      values: { was: prev.link?.ifindex, ifindex: sig.ifindex },
    };
    go({ ...fall(h, v, now, cfg), hardClearedAt: now }, v);
  }
  if (h.suppressed && penaltyAt(h, now, cfg) < cfg.reuseBelow) h = { ...h, suppressed: false };
  const v = judge(h, now, cfg);
  switch (h.state) {
    case 'up':
    case 'suspect':
      if (v.level === 'down') go(fall(h, v, now, cfg), v);
      else if (v.level === 'suspect' && h.state === 'up')
        go({ ...h, state: 'suspect', since: now, reason: v.reason }, v);
      else if (v.level === 'clean' && h.state === 'suspect') go({ ...h, state: 'up', since: now, reason: v.reason }, v);
      else if (h.state === 'suspect' && v.reason !== h.reason) h = { ...h, reason: v.reason };
      break;
    case 'down':
      // A probed line comes back on an answer, not on an alarm or a link state that clears.
      if (v.level === 'clean' && mustAnswer(h)) {
        if (!h.reason.includes('; waiting for '))
          h = { ...h, reason: `${h.reason}; waiting for ${h.probe.target} to answer` };
      } else if (v.level === 'clean')
        go(
          {
            ...h,
            state: 'probation',
            since: now,
            reason: `healthy again (${v.reason}); rejoins after ${cfg.holdDownMs} ms clean`,
            cleanSince: now,
          },
          v,
        );
      else if (v.reason !== h.reason && v.level === 'down') h = { ...h, reason: v.reason };
      break;
    case 'probation':
      if (v.level === 'down') go(fall(h, v, now, cfg), v);
      // Line errors that keep rising slowly do not keep a line out for ever: only probes and links do.
      else if (v.level === 'suspect' && v.signal !== 'errors') h = { ...h, cleanSince: now };
      else if (now - (h.cleanSince ?? now) >= cfg.holdDownMs) {
        if (!h.suppressed)
          go(
            {
              ...h,
              state: 'up',
              since: now,
              reason: `clean for ${now - (h.cleanSince ?? now)} ms`,
              cleanSince: undefined,
            },
            v,
          );
        else if (!h.reason.startsWith('suppressed'))
          h = {
            ...h,
            reason:
              `suppressed after ${h.flaps} flaps: penalty ${Math.round(penaltyAt(h, now, cfg))}, ` +
              `rejoins below ${cfg.reuseBelow}`,
          };
      }
      break;
  }
  return { next: h, transitions };
}

/** The next time a tick can change this line's state or readings (for the daemon's one timer). */
export function nextDeadline(h: LineHealth, now: number, cfg: HealthConfig = DEFAULT_HEALTH): number | undefined {
  const t: number[] = [];
  for (const at of Object.values(h.probe.pending)) t.push(at + cfg.probeTimeoutMs);
  const p = h.probe;
  if (hardProblem(h) === undefined && (probing(h) || (p.verified && p.failing !== undefined))) {
    const from = Math.max(p.lastReplyAt ?? -Infinity, p.startedAt ?? -Infinity, h.hardClearedAt ?? -Infinity);
    for (const d of [cfg.suspectAfterMs, cfg.downAfterMs]) if (from + d > now) t.push(from + d);
  }
  const never = unansweredSince(h);
  if (never !== undefined && hardProblem(h) === undefined) t.push(never + cfg.neverAnsweredMs);
  // Only a deadline still ahead (a suppressed line waits for its reuse time, below): never a busy loop.
  if (h.state === 'probation' && h.cleanSince !== undefined && !h.suppressed && h.cleanSince + cfg.holdDownMs > now)
    t.push(h.cleanSince + cfg.holdDownMs);
  if (h.suppressed && h.penalty > 0) t.push(h.penaltyAt + cfg.halfLifeMs * Math.log2(h.penalty / cfg.reuseBelow) + 1);
  const future = t.filter((x) => Number.isFinite(x) && x > now);
  return future.length > 0 ? Math.min(...future) : undefined;
}

/**
 * In the ring on its link alone: its probe has never answered, so nothing has shown that it carries. Shown as
 * such (status, health.json, metrics, doctor), never as up.
 */
export const unverified = (h: LineHealth): boolean => inRing(h) && h.probe.target !== undefined && !h.probe.verified;

export type ShownState = HealthState | 'unverified';

/** What `status` shows of a line. */
export interface LineSummary {
  line: string;
  state: ShownState;
  /** Its probe's far end has answered (null: no probe; absent from daemons before issue 22). */
  verified?: boolean | null;
  since: string;
  reason: string;
  inRing: boolean;
  penalty: number;
  suppressed: boolean;
  flaps: number;
  probe: string | null;
  rttMs: number | null;
  loss: number | null;
  alarms: string[];
}

export function summary(h: LineHealth, now: number, cfg: HealthConfig = DEFAULT_HEALTH): LineSummary {
  const loss = lossOf(h, cfg);
  return {
    line: h.line,
    state: unverified(h) ? 'unverified' : h.state,
    verified: h.probe.target === undefined ? null : h.probe.verified,
    since: new Date(h.since).toISOString(),
    reason: h.reason,
    inRing: inRing(h),
    penalty: Math.round(penaltyAt(h, now, cfg)),
    suppressed: h.suppressed,
    flaps: h.flaps,
    probe: h.probe.target ?? null,
    rttMs: h.probe.rttMs ?? null,
    loss: loss === undefined ? null : Math.round(loss * 100) / 100,
    alarms: h.alarms,
  };
}

/**
 * A line as the previous daemon of this boot left it (health.json), for a daemon starting after it: a line it
 * had taken out stays out until it answers (or, without a probe, until its link has been clean for the
 * hold-down); its flap penalty goes on decaying from where it was. `target`: the line's probe now.
 */
export function restoredHealth(
  prev: LineSummary,
  prevAt: number,
  prevPid: number,
  now: number,
  target: string | undefined,
): LineHealth {
  const h = initialHealth(prev.line, now, target);
  const damped = { ...h, penalty: prev.penalty, penaltyAt: prevAt, flaps: prev.flaps, suppressed: prev.suppressed };
  if (prev.state !== 'down' && prev.state !== 'probation' && !prev.suppressed) return damped;
  return {
    ...damped,
    state: 'down',
    since: now,
    reason: `held out by the previous daemon (pid ${prevPid}): ${prev.reason}`,
    // Its far end must answer this daemon's probe before the line rejoins: a line taken out for silence has
    // nothing else to show it carries again.
    // (A far end that had never answered stays unverified: a restart makes no silence count that did not.)
    probe: { ...damped.probe, verified: prev.verified !== false && target !== undefined && target === prev.probe },
  };
}
