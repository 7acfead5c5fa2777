// The line health state machine driven through scripted signal sequences in virtual time: the
// reducer is pure and takes the clock from its caller, so seconds of line life run in microseconds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_HEALTH,
  initialHealth,
  inRing,
  nextDeadline,
  penaltyAt,
  restoredHealth,
  step,
  summary,
  type HealthConfig,
  type LineHealth,
  type Signal,
  type Transition,
} from '../../../src/watch/health.js';

type Timed = [number, Signal];

/** Plays `script` (sorted by time) and the ticks the machine asks for, up to `until`. */
function play(script: Timed[], until: number, o: { cfg?: HealthConfig; h?: LineHealth; from?: number } = {}) {
  const cfg = o.cfg ?? DEFAULT_HEALTH;
  let h = o.h ?? initialHealth('wan0', 0, '192.0.2.2');
  const log: Transition[] = [];
  const events = [...script].sort((a, b) => a[0] - b[0]);
  let now = o.from ?? 0;
  const apply = (t: number, s: Signal) => {
    now = t;
    const r = step(h, s, t, cfg);
    h = r.next;
    log.push(...r.transitions);
  };
  for (;;) {
    const d = nextDeadline(h, now, cfg);
    const next = events[0];
    if (d !== undefined && d <= until && (!next || d < next[0])) {
      apply(d, { kind: 'tick' });
      continue;
    }
    if (!next || next[0] > until) break;
    events.shift();
    apply(next[0], next[1]);
  }
  return { h, log, states: log.map((t) => `${t.at}:${t.from}>${t.to}`) };
}

const link = (up: boolean, carrier = up, ifindex = 5): Signal => ({
  kind: 'link',
  present: true,
  ifindex,
  up,
  carrier,
});
/** ping -O every 200 ms from `from` to `to`: a reply each time, or (silent) "no answer yet" for the one before. */
function probes(from: number, to: number, answer: (t: number) => boolean, seq0 = 1, rtt = 20): Timed[] {
  const out: Timed[] = [];
  let seq = seq0;
  for (let t = from; t < to; t += 200, seq++) {
    // ping's icmp_seq is 16 bits: it wraps after 65535.
    if (answer(t)) out.push([t + rtt, { kind: 'reply', seq: seq & 0xffff, rttMs: rtt }]);
    else out.push([t + 200, { kind: 'pending', seq: seq & 0xffff }]);
  }
  return out;
}
const start: Timed[] = [
  [0, link(true)],
  [0, { kind: 'probe-start', target: '192.0.2.2' }],
];

describe('line health', () => {
  it('a clean failure (the driver downs the interface) is down at once and rejoins after the hold-down', () => {
    const r = play(
      [...start, ...probes(0, 20_000, (t) => t < 5000 || t >= 6000), [5000, link(false)], [6000, link(true)]],
      20_000,
    );
    // Back on the probe's first answer after the link returned (6020), in the ring 3 s later.
    assert.deepEqual(r.states, ['5000:up>down', '6020:down>probation', '9020:probation>up']);
    assert.equal(r.log[0]!.signal, 'link');
    assert.match(r.log[0]!.reason, /interface down/);
    assert.equal(r.h.flaps, 1);
    assert.ok(inRing(r.h));
  });

  it('carrier loss and a T1 alarm are hard signals too', () => {
    const c = play([...start, ...probes(0, 2000, (t) => t < 1000), [1000, link(true, false)]], 2000);
    assert.deepEqual(c.states, ['1000:up>down']);
    assert.match(c.log[0]!.reason, /no carrier/);
    const a = play(
      [...start, ...probes(0, 2000, (t) => t < 1000), [1000, { kind: 'alarms', active: ['LOS', 'RED'], counters: {} }]],
      2000,
    );
    assert.deepEqual(a.states, ['1000:up>down']);
    assert.match(a.log[0]!.reason, /T1 alarm RED, LOS/);
  });

  it(
    'a silent black hole: suspect at 400 ms of silence, down at 700 ms, back after replies resume and the ' +
      'hold-down',
    () => {
      // Last reply to the probe sent at 4800 (arrives 4820); the line eats everything from 5000 to 9000.
      const r = play([...start, ...probes(0, 20_000, (t) => t < 5000 || t >= 9000)], 20_000);
      assert.deepEqual(r.states, ['5220:up>suspect', '5520:suspect>down', '9020:down>probation', '12020:probation>up']);
      assert.equal(r.log[1]!.signal, 'probe');
      assert.match(r.log[1]!.reason, /no answer from 192\.0\.2\.2 for 700 ms/);
      // Out of the ring within a second of the fault at the default settings.
      assert.ok(r.log[1]!.at - 5000 < 1000);
    },
  );

  it('silence without unanswered probes (the router busy, ping itself held up) is no failure', () => {
    // From 1 s to 2.5 s ping neither sends nor reports anything; then it answers again.
    const r = play([...start, ...probes(0, 1000, () => true), ...probes(2500, 5000, () => true, 20)], 5000);
    assert.deepEqual(r.states, []);
    // But the same silence with ping reporting each probe unanswered is a failure.
    const dead = play([...start, ...probes(0, 1000, () => true), ...probes(1000, 2500, () => false, 6)], 2500);
    assert.deepEqual(dead.states.slice(0, 2), ['1220:up>suspect', '1520:suspect>down']);
  });

  it('a lossy line (60% of probes lost, never 700 ms of silence) is judged down by its loss ratio', () => {
    // Answered, lost, answered, lost, lost, ... : 3 of 5 lost.
    const pattern = [true, false, true, false, false];
    const r = play([...start, ...probes(0, 10_000, (t) => t < 2000 || pattern[(t / 200) % 5]!)], 10_000);
    assert.ok(
      r.log.some((t) => t.to === 'down' && /% of probes to 192\.0\.2\.2 lost/.test(t.reason)),
      r.states.join(' '),
    );
  });

  it('a probe held while the ring changes is not counted as silence', () => {
    const h0 = play([...start, ...probes(0, 1000, () => true)], 1000).h;
    // 900 ms held (longer than down_after), then the probe goes on answering.
    // The daemon judges nothing while the probes are held; the pause is told when they resume.
    const h1 = step(h0, { kind: 'probe-paused', ms: 900 }, 1900).next;
    const r = play(
      probes(1900, 4000, () => true, 6),
      4000,
      { h: h1, from: 1900 },
    );
    assert.deepEqual(r.states, []);
  });

  it('a line flapping every 2 s is suppressed from the third flap and reused after it calms down', () => {
    const script: Timed[] = [...start];
    for (let k = 0; k < 6; k++) {
      script.push([10_000 + k * 2000, link(false)], [11_000 + k * 2000, link(true)]);
    }
    script.push(...probes(0, 200_000, () => true));
    const r = play(script, 200_000);
    const downs = r.log.filter((t) => t.to === 'down');
    assert.equal(downs.length, 6);
    // The third flap (at 14 s) crosses the suppress threshold: from then the line stays out even when clean.
    const third = 14_000;
    const atThird = play(script, third).h;
    assert.equal(atThird.suppressed, true);
    assert.equal(play(script, third - 1).h.suppressed, false);
    // After the last flap (20 s, up at 21 s) it is not back after the hold-down (24 s) ...
    const rejoin = r.log.find((t) => t.at > 21_000 && t.to === 'up');
    assert.ok(rejoin, r.states.join(' '));
    assert.ok(rejoin.at > 60_000, `rejoined at ${rejoin.at}`);
    // ... but once the penalty has decayed below reuse (750), and not before.
    assert.ok(penaltyAt(r.h, rejoin.at, DEFAULT_HEALTH) < 750);
    assert.ok(penaltyAt(r.h, rejoin.at - 2000, DEFAULT_HEALTH) >= 750 - 60);
    const supp = play(script, 30_000).h;
    assert.equal(supp.state, 'probation');
    assert.match(supp.reason, /suppressed after 6 flaps/);
  });

  it('a line that flaps every 40 s is never suppressed', () => {
    const script: Timed[] = [...start, ...probes(0, 400_000, () => true)];
    for (let k = 0; k < 8; k++) script.push([10_000 + k * 40_000, link(false)], [11_000 + k * 40_000, link(true)]);
    const r = play(script, 400_000);
    assert.equal(r.log.filter((t) => t.to === 'down').length, 8);
    assert.equal(r.log.filter((t) => t.to === 'up').length, 8);
    assert.equal(r.h.suppressed, false);
  });

  it(
    'an interface recreated (new ifindex) leaves the ring and rejoins after the hold-down once its probe ' + 'answers',
    () => {
      const r = play(
        [
          ...start,
          ...probes(0, 3000, () => true),
          [3000, link(true, true, 9)],
          [3050, { kind: 'probe-start', target: '192.0.2.2' }],
          ...probes(3100, 10_000, () => true, 100),
        ],
        10_000,
      );
      assert.deepEqual(r.states, ['3000:up>down', '3120:down>probation', '6120:probation>up']);
      assert.match(r.log[0]!.reason, /interface recreated \(ifindex 5 -> 9\)/);
    },
  );

  it('an interface that comes back but whose probe never answers stays down, waiting for an answer', () => {
    const r = play(
      [
        ...start,
        ...probes(0, 1000, () => true),
        [1000, { kind: 'link', present: false, up: false, carrier: false }],
        [2000, link(true, true, 7)],
        [2050, { kind: 'probe-start', target: '192.0.2.2' }],
        ...probes(2100, 6000, () => false, 1),
      ],
      6000,
    );
    assert.deepEqual(r.states, ['1000:up>down']);
    assert.match(r.log[0]!.reason, /interface missing/);
    assert.equal(r.h.state, 'down');
    assert.equal(r.h.flaps, 1, 'no flap counted for a line that never came back');
  });

  it('probe numbers wrap after 65535 (3.6 h): silence is still told from a busy router', () => {
    // The ping has run 65530 probes; the numbers wrap to 0 and go on.
    let h = play([...start, ...probes(0, 1000, () => true, 65530)], 1000).h;
    assert.equal(h.probe.answeredSeq, 65534);
    h = play([...probes(1000, 1600, () => true, 65535)], 1600, { h, from: 1000 }).h;
    assert.equal(h.probe.answeredSeq, 1, '65535 -> 0 -> 1');
    const dead = play(
      probes(1600, 3000, () => false, 2),
      3000,
      { h, from: 1600 },
    );
    assert.deepEqual(dead.states.slice(0, 2), ['1820:up>suspect', '2120:suspect>down']);
    // A line that dies just as the numbers wrap: 65535, 0, 1 unanswered are three missed probes.
    const atWrap = play(
      [...start, ...probes(0, 1000, () => true, 65530), ...probes(1000, 3000, () => false, 65535)],
      3000,
    );
    assert.deepEqual(atWrap.states.slice(0, 2), ['1220:up>suspect', '1520:suspect>down']);
  });

  it(
    'a target that has never answered (a far end that drops ICMP) takes no line out; once it has, its ' +
      'silence counts',
    () => {
      const never = play([...start, ...probes(0, 5000, () => false)], 5000);
      assert.deepEqual(never.states, []);
      const r = play([...start, ...probes(0, 5000, (t) => t >= 2000 && t < 3000)], 5000);
      assert.deepEqual(r.states, ['3220:up>suspect', '3520:suspect>down']);
    },
  );

  it('a ping that cannot run any more (it exits at once) takes a verified line down after down_after', () => {
    const r = play(
      [
        ...start,
        ...probes(0, 1000, () => true),
        [1100, { kind: 'probe-failed', text: 'ping: connect: Network is unreachable' }],
        [1600, { kind: 'probe-start', target: '192.0.2.2' }],
        [1650, { kind: 'probe-failed', text: 'ping: connect: Network is unreachable' }],
      ],
      3000,
    );
    assert.deepEqual(r.states, ['1520:up>down']);
    assert.match(r.log[0]!.reason, /the probe cannot run: ping: connect: Network is unreachable/);
  });

  it('a probe removed by a reload while it could not run takes its verdict with it (issue 22 defect 4)', () => {
    const failing: Timed[] = [
      ...start,
      ...probes(0, 1000, () => true),
      [1100, { kind: 'probe-failed', text: 'ping: connect: Network is unreachable' }],
    ];
    // probe.wan0 = none at 2000: the line is judged by its link alone, and it rejoins after the hold-down.
    const r = play([...failing, [2000, { kind: 'probe-stop', removed: true }]], 60_000);
    assert.deepEqual(r.states.slice(0, 2), ['1520:up>down', '2000:down>probation']);
    assert.equal(r.h.state, 'up');
    assert.equal(r.h.probe.target, undefined);
    // A probe only stopped (its interface went down a moment) keeps its verdict until the probe runs again.
    const kept = play([...failing, [2000, { kind: 'probe-stop' }]], 60_000);
    assert.deepEqual(kept.states, ['1520:up>down']);
  });

  it('a suppressed line in probation asks for no tick before its reuse time (no busy loop)', () => {
    const script: Timed[] = [...start, ...probes(0, 40_000, () => true)];
    for (let k = 0; k < 4; k++) script.push([1000 + k * 2000, link(false)], [2000 + k * 2000, link(true)]);
    const h = play(script, 20_000).h;
    assert.equal(h.state, 'probation');
    assert.equal(h.suppressed, true);
    const d = nextDeadline({ ...h, probe: { ...h.probe, pending: {}, startedAt: undefined } }, 20_000);
    assert.ok(d !== undefined && d > 20_000 + 1000, `next tick at ${d}`);
  });

  it('a line without a probe target is judged by its link and alarms only', () => {
    const h = initialHealth('eth2', 0, undefined);
    const r = play(
      [
        [0, link(true)],
        [5000, link(false)],
        [6000, link(true)],
      ],
      20_000,
      { h },
    );
    // No probe to wait for: back on the link alone.
    assert.deepEqual(r.states, ['5000:up>down', '6000:down>probation', '9000:probation>up']);
  });

  it('rising error counters make a line suspect, not down', () => {
    const r = play(
      [
        ...start,
        ...probes(0, 5000, () => true),
        [1000, { kind: 'alarms', active: [], counters: { 'CRC errors': 5 } }],
        [2000, { kind: 'alarms', active: [], counters: { 'CRC errors': 90 } }],
        [3000, { kind: 'alarms', active: [], counters: { 'CRC errors': 90 } }],
      ],
      5000,
    );
    assert.deepEqual(r.states, ['2000:up>suspect', '3000:suspect>up']);
    assert.match(r.log[0]!.reason, /errors rising/);
  });

  it('memory stays bounded: a day of probes keeps a fixed-size window and no pending backlog', () => {
    let h = initialHealth('wan0', 0, '192.0.2.2');
    h = step(h, link(true), 0).next;
    h = step(h, { kind: 'probe-start', target: '192.0.2.2' }, 0).next;
    for (let seq = 1, t = 0; t < 86_400_000; t += 200, seq++) {
      h = step(h, seq % 7 === 0 ? { kind: 'pending', seq } : { kind: 'reply', seq, rttMs: 5 }, t).next;
    }
    assert.ok(h.probe.window.length <= DEFAULT_HEALTH.lossWindow);
    assert.ok(Object.keys(h.probe.pending).length <= 6);
  });

  it("a far end that never answers while the bond's other probes answer: out after never_answered (defect 3)", () => {
    // The far end is dead from the start: no answer ever. Another line of the bond first answers at 13 s.
    const r = play(
      [...start, ...probes(0, 30_000, () => false), [13_000, { kind: 'peers', answeredAt: 13_000 }]],
      30_000,
    );
    assert.deepEqual(r.states, [`${13_000 + DEFAULT_HEALTH.neverAnsweredMs}:up>down`]);
    assert.match(r.log[0]!.reason, /192\.0\.2\.2 has never answered .*other lines' probes answer/);
    assert.equal(r.h.state, 'down', 'it stays out: it has not answered');
    // Alone (no other line answers), its silence says nothing: it stays in, shown as unverified.
    const alone = play([...start, ...probes(0, 30_000, () => false)], 30_000);
    assert.deepEqual(alone.states, []);
    assert.equal(summary(alone.h, 30_000).state, 'unverified', 'never shown as up');
    assert.equal(summary(alone.h, 30_000).verified, false);
    // Once it answers, it is judged like any other line.
    const late = play(
      [...start, ...probes(0, 40_000, (t) => t >= 20_000), [13_000, { kind: 'peers', answeredAt: 13_000 }]],
      40_000,
    );
    assert.deepEqual(late.states, ['18000:up>down', '20020:down>probation', '23020:probation>up']);
    assert.equal(summary(late.h, 40_000).state, 'up');
  });

  it("a line the previous daemon took out stays out until its far end answers this daemon's probe (defect 3)", () => {
    const prev = summary(
      {
        ...initialHealth('wan0', 0, '192.0.2.2'),
        // Its far end had answered: then it fell silent.
        probe: { ...initialHealth('wan0', 0, '192.0.2.2').probe, verified: true },
        state: 'down',
        reason: 'no answer from 192.0.2.2 for 700 ms',
        penalty: 1000,
        flaps: 1,
      },
      0,
    );
    const h = restoredHealth(prev, 0, 4242, 60_000, '192.0.2.2');
    assert.equal(h.state, 'down');
    assert.match(h.reason, /held out by the previous daemon \(pid 4242\): no answer from/);
    assert.equal(Math.round(penaltyAt(h, 60_000, DEFAULT_HEALTH)), 250, 'its penalty decayed since (two half-lives)');
    // Link up, a probe running, no answer: it stays out.
    const dead = play(
      [...start, ...probes(0, 30_000, () => false)].map(([t, s]) => [t + 60_000, s] as Timed),
      90_000,
      {
        h,
        from: 60_000,
      },
    );
    assert.deepEqual(dead.states, [], 'a dead line the previous daemon had taken out is not put back');
    const back = play(
      [...start, ...probes(0, 30_000, (t) => t >= 5000)].map(([t, s]) => [t + 60_000, s] as Timed),
      90_000,
      {
        h,
        from: 60_000,
      },
    );
    assert.deepEqual(back.states, ['65020:down>probation', '68020:probation>up']);
    // A line it had in the ring starts as a new one, with its penalty.
    const fine = restoredHealth({ ...prev, state: 'up' }, 0, 4242, 60_000, '192.0.2.2');
    assert.equal(fine.state, 'up');
    assert.equal(fine.flaps, 1);
  });

  it('a line down on its link, whose probe answered before, returns on an answer, not on the link alone', () => {
    // The link comes back at 6 s but the far end stays silent: the line stays out.
    const r = play(
      [
        ...start,
        ...probes(0, 20_000, (t) => t < 5000),
        [5000, link(false)],
        // The daemon stops a line's ping while its interface is down, and starts it again after.
        [5000, { kind: 'probe-stop' }],
        [6000, link(true)],
        [6000, { kind: 'probe-start', target: '192.0.2.2' }],
      ],
      20_000,
    );
    assert.deepEqual(r.states, ['5000:up>down']);
  });

  it('a ping that keeps exiting and restarting is still a probe never answered (never_answered counts on)', () => {
    // No route: ping exits at once and is started again every 2 s, each start a new probe-start.
    const restarts: Timed[] = [];
    for (let t = 0; t < 20_000; t += 2000) {
      restarts.push([t, { kind: 'probe-start', target: '192.0.2.2' }]);
      restarts.push([t + 50, { kind: 'probe-failed', text: 'connect: Network is unreachable' }]);
    }
    const r = play([[0, link(true)], ...restarts, [1000, { kind: 'peers', answeredAt: 1000 }]], 20_000);
    assert.deepEqual(r.states, [`${1000 + DEFAULT_HEALTH.neverAnsweredMs}:up>down`]);
  });

  it('a restart keeps a far end that never answered unverified: its silence does not start to count', () => {
    const prev = summary(
      { ...initialHealth('wan0', 0, '192.0.2.2'), state: 'down', reason: 'no carrier', flaps: 1 },
      0,
    );
    assert.equal(prev.verified, false);
    const h = restoredHealth(prev, 0, 4242, 60_000, '192.0.2.2');
    assert.equal(h.probe.verified, false);
    // Its link back, no answer, no other line answering: it rejoins on its link after the hold-down.
    const r = play(
      [...start, ...probes(0, 10_000, () => false)].map(([t, s]) => [t + 60_000, s] as Timed),
      70_000,
      { h, from: 60_000 },
    );
    assert.deepEqual(r.states, ['60000:down>probation', '63000:probation>up']);
  });
});
