// The benchmark figures as stored (docs/benchmarks.json) and as published (docs/BENCHMARKS.md):
// each part's tables are rendered between <!-- bench:PART --> and <!-- /bench:PART --> so the prose
// around them, written by hand, stays. Goals are judged here, from the figures. Pure.

export interface RunResults {
  date: string;
  minutes: number;
  command: string;
  results: { part: string; [k: string]: unknown }[];
}
export interface PartRecord {
  date: string;
  command: string;
  env: Env | undefined;
  figures: Record<string, unknown>[];
}
export interface BenchResults {
  schema: 'wanbond-bench/1';
  parts: Record<string, PartRecord>;
}
export interface Env {
  kernel: string;
  slowdown: number;
  spawnMs: number;
  quick: boolean;
  cpus: number;
}

interface Iperf {
  flows: number;
  seconds: number;
  cc: string;
  bps: number;
  retransmits: number;
  cpuBusy: number;
}
interface AggRow {
  lines: number;
  rateKbit: number;
  seconds: number;
  limitBps: number;
  alone: { eight: Iperf; one: Iperf };
  wanbond: { eight: Iperf; one: Iperf };
  recipe: { eight: Iperf; one: Iperf };
}
interface SingleRow {
  lines: number;
  rateKbit: number;
  limitBps: number;
  missing: string[];
  rows: (Iperf & { reordering: number })[];
}
interface UnequalRow {
  mode?: 'teql' | 'weighted';
  rateKbit: number[];
  configBps: number[];
  limitBps: number;
  teqlLimitBps: number;
  predicted: { ceilingBps: number; sumBps: number; ratio: number };
  eight: Iperf;
  one: Iperf;
}
interface Ms {
  ms: number;
  processes?: number;
  cardMs?: number;
  programs?: string[];
}
interface ControlRow {
  lines: number;
  reps: number;
  up: Ms;
  again: Ms;
  plan: Ms;
  status: Ms;
  down: Ms;
  recipeUp: Ms;
  recipeDown: Ms;
}
interface Control {
  nodeStartMs: number;
  rows: ControlRow[];
}
interface Cpu {
  daemon: number;
  withChildren: number;
  rssPeakKb: number;
  rssEndKb: number;
}
interface Daemon {
  lines: number;
  probeIntervalMs: number;
  idleSeconds: number;
  idle: Cpu;
  idleSlow?: Cpu;
  idleProcesses?: Cpu;
  noMetricsSeconds?: number;
  idleNoMetrics?: Cpu;
  nodeFloorKb?: number;
  storm: Cpu & {
    flaps: number;
    seconds: number;
    events: number;
    ringChanges: number;
    suppressed: boolean;
    othersOut: number;
  };
}
interface Fault {
  fault: string;
  line: string;
  daemon: boolean;
  outOfRingMs: number | null;
  detectMs: number | null;
  lostPackets: number;
  beforeBps: number;
  duringBps: number;
  ratio: number;
  rejoinMs: number | null;
  ringChange?: { ms: number; processes?: number; commandMs?: number; cached?: boolean; readWhy?: string };
  faultMs?: number;
  exec?: 'children' | 'processes';
}
interface Stress {
  cycles: number;
  seconds: number;
  rateBps: number;
  stalls: number;
  memory: { rssKb: number; heapUsedKb: number }[];
  linesAfter: string[];
}

/** Every benchmark part, in the order they run and are published. */
export const ORDER = ['aggregation', 'single-flow', 'unequal', 'control', 'daemon', 'faults', 'stress'] as const;

/** The new run's parts replace the stored ones; parts it did not run keep their own run's date. */
export function mergeResults(prev: BenchResults | undefined, run: RunResults): BenchResults {
  const out: BenchResults = { schema: 'wanbond-bench/1', parts: { ...(prev?.parts ?? {}) } };
  const env = run.results.find((r) => r.part === 'env') as unknown as Env | undefined;
  for (const name of new Set(run.results.map((r) => r.part).filter((p) => p !== 'env'))) {
    out.parts[name] = {
      date: run.date,
      command: run.command,
      env,
      figures: run.results.filter((r) => r.part === name).map(({ part: _p, ...f }) => f),
    };
  }
  return out;
}

const mbit = (bps: number) => (bps / 1e6).toFixed(3);
const r2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const r3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');
const ms = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : `${Math.round(x)} ms`;
const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)} %`;

function header(p: PartRecord, what: string): string {
  const e = p.env;
  const lab = e
    ? `kernel ${e.kernel} under qemu without KVM (${e.cpus} vCPUs; CPU work x${e.slowdown.toFixed(1)} slower ` +
      `than on the host, a process start ${Math.round(e.spawnMs)} ms)`
    : 'the lab';
  return `Run of ${p.date.slice(0, 16).replace('T', ' ')} UTC: \`${p.command}\`, ${lab}; ${what}.`;
}

function verdict(ok: boolean, text: string): string {
  return `- ${ok ? 'Met' : '**Missed**'}: ${text}`;
}

function aggregation(p: PartRecord): string {
  const rows = p.figures as unknown as AggRow[];
  const first = rows[0];
  const out = [
    header(
      p,
      `lines shaped to ${first?.rateKbit ?? '?'} kbit/s each way (tbf), iperf3 from router A to host H, ` +
        `${first?.seconds ?? '?'} s a figure after 2 s left out, goodput as the receiver counted it`,
    ),
    '',
    '| lines | flows | one line alone | wanbond | / (N x alone) | / goodput limit | retransmits | hand recipe ' +
      '| / (N x alone) | retransmits | wanbond / recipe | lab CPU busy |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const goals: string[] = [];
  for (const r of rows) {
    for (const [k, flows, goal] of [
      ['eight', 8, 0.98],
      ['one', 1, 0.95],
    ] as const) {
      const a = r.alone[k],
        w = r.wanbond[k],
        h = r.recipe[k];
      const vsAlone = w.bps / (r.lines * a.bps),
        recipeVs = h.bps / (r.lines * a.bps);
      out.push(
        `| ${r.lines} | ${flows} | ${mbit(a.bps)} | ${mbit(w.bps)} | ${r3(vsAlone)} | ` +
          `${r3(w.bps / r.limitBps)} | ${w.retransmits} | ${mbit(h.bps)} | ${r3(recipeVs)} | ${h.retransmits} | ` +
          `${r3(w.bps / h.bps)} | ${pct(w.cpuBusy)} |`,
      );
      const cpu =
        w.cpuBusy > 0.9 ? ` (the lab's CPUs were ${pct(w.cpuBusy)} busy: the emulator is part of the bottleneck)` : '';
      goals.push(
        verdict(
          vsAlone >= goal,
          `${r.lines} lines, ${flows} flow${flows > 1 ? 's' : ''}: ${r3(vsAlone)} of N x one line, goal ` +
            `${goal}${vsAlone >= goal ? '' : cpu}`,
        ),
      );
      const same = Math.abs(w.bps / h.bps - 1) <= 0.03;
      goals.push(
        verdict(
          same,
          `${r.lines} lines, ${flows} flow${flows > 1 ? 's' : ''}: wanbond ${r3(w.bps / h.bps)} of the hand ` +
            `recipe, goal equal within 3 %`,
        ),
      );
    }
  }
  out.push(
    '',
    "Mbit/s. The goodput limit is what the lab's shapers let through: 1448 bytes of TCP payload per 1514-byte " +
      "frame at each line's rate; a real T1 with PPP framing gives about the same (1.536 Mbit/s x 1448/1508).",
    '',
    ...goals,
  );
  return out.join('\n');
}

function singleFlow(p: PartRecord): string {
  const f = (p.figures as unknown as SingleRow[])[0];
  if (!f) return '';
  const out = [
    header(
      p,
      `${f.lines} T1 lines bonded by wanbond, router B equalizing its ends, one TCP flow for 20 s (2 s left ` +
        `out); tcp_reordering set in router A (the sender, whose duplicate-ACK threshold it is) and in host H`,
    ),
    '',
    '| congestion control | tcp_reordering | goodput (Mbit/s) | / goodput limit | retransmits |',
    '|---|---|---|---|---|',
    ...f.rows.map(
      (r) => `| ${r.cc} | ${r.reordering} | ${mbit(r.bps)} | ${r3(r.bps / f.limitBps)} | ${r.retransmits} |`,
    ),
  ];
  if (f.missing.length > 0) out.push('', `Not in this kernel: ${f.missing.join(', ')}.`);
  return out.join('\n');
}

function unequal(p: PartRecord): string {
  const rows = p.figures as unknown as UnequalRow[];
  const out = [
    header(
      p,
      'lines from a wanpipe configuration of full and fractional T1s (ACTIVE_CH = 1-12), each shaped to its ' +
        'configured rate, bonded by wanbond with TEQL and then, in the same lab, as a weighted bond (nftables), ' +
        'iperf3 as above',
    ),
    '',
    "| lines (kbit/s) | bond | goodput limit (sum) | TEQL's limit (N x slowest) | doctor predicts for TEQL (of " +
      'the sum) | 8 flows | / limit | retransmits | 1 flow | / limit | retransmits |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.rateKbit.join(' + ')} | ${r.mode ?? 'teql'} | ${mbit(r.limitBps)} | ${mbit(r.teqlLimitBps)} ` +
        `(${r3(r.teqlLimitBps / r.limitBps)}) | ${r3(r.predicted.ratio)} | ${mbit(r.eight.bps)} | ` +
        `${r3(r.eight.bps / r.limitBps)} | ${r.eight.retransmits} | ${mbit(r.one.bps)} | ` +
        `${r3(r.one.bps / r.limitBps)} | ${r.one.retransmits} |`,
    ),
  ];
  out.push(
    '',
    'Mbit/s. "doctor predicts" is N x the slowest line over the sum, from the lines\' configured rates ' +
      '(src/config/line-rate.ts), which is what `wanbond doctor` reports for such a TEQL bond.',
  );
  const weighted = rows.filter((r) => r.mode === 'weighted');
  if (weighted.length > 0) {
    out.push(
      '',
      ...weighted.flatMap((r) => [
        verdict(
          r.eight.bps / r.limitBps >= 0.95,
          `weighted ${r.rateKbit.join(' + ')}: at least 0.95 of the limit with 8 flows: ` +
            `${r3(r.eight.bps / r.limitBps)}`,
        ),
        verdict(
          r.one.bps / r.limitBps >= 0.9,
          `weighted ${r.rateKbit.join(' + ')}: at least 0.9 of the limit with 1 flow: ${r3(r.one.bps / r.limitBps)}`,
        ),
      ]),
    );
  }
  return out.join('\n');
}

function control(p: PartRecord): string {
  const c = (p.figures as unknown as Control[])[0];
  if (!c) return '';
  const slow = p.env?.slowdown ?? NaN;
  const out = [
    header(
      p,
      `each wanbond command run in the benchmark's own node process (node's start-up is measured apart: ` +
        `${ms(c.nodeStartMs)} for \`wanbond --version\`), through a runner that counts and times the programs it ` +
        `starts (+1 for flock, the lock); the hand recipe is bench/hand-recipe.sh; medians of ` +
        `${c.rows[0]?.reps ?? '?'} runs`,
    ),
    '',
    "| lines | `up` | card start (simulator) | `up`'s own work | processes | `up` again (nothing to do) | " +
      '`plan` | `status` | `down` | processes | hand recipe up | its card start | its programs | hand recipe ' +
      'down |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...c.rows.map(
      (r) =>
        `| ${r.lines} | ${ms(r.up.ms)} | ${ms(r.up.cardMs)} | ${ms(r.up.ms - (r.up.cardMs ?? 0))} | ` +
        `${r.up.processes} | ${ms(r.again.ms)} (${r.again.processes}) | ${ms(r.plan.ms)} (${r.plan.processes}) ` +
        `| ${ms(r.status.ms)} (${r.status.processes}) | ${ms(r.down.ms)} | ${r.down.processes} | ` +
        `${ms(r.recipeUp.ms)} | ${ms(r.recipeUp.cardMs)} | ${r.recipeUp.processes} | ${ms(r.recipeDown.ms)} |`,
    ),
  ];
  const eight = c.rows.find((r) => r.lines === 8);
  // `ip -j -s` with input is the engine's one read of links, addresses and routes (ip -batch).
  const label = (x: string) =>
    x === 'ip -j -s' || x === 'ip -j -s -batch' ? 'ip -j -s -batch - (links, addresses, routes)' : x;
  if (eight?.up.programs)
    out.push(
      '',
      `What \`up\` of 8 lines started, in order: ${eight.up.programs.map((x) => `\`${label(x)}\``).join(', ')}.`,
    );
  if (eight) {
    const own = eight.up.ms - (eight.up.cardMs ?? 0);
    out.push(
      '',
      verdict(
        own < 1000,
        `\`up\` of 8 lines in under 1 s of its own work: ${ms(own)} in the ` +
          `lab${
            own < 1000
              ? ''
              : `; scaled by the lab's x${slow.toFixed(1)}, ` + `about ${ms(own / slow)} on the host (an estimate)`
          }`,
      ),
      verdict(
        (eight.up.processes ?? Infinity) <= 8,
        `no more than 8 processes for \`up\` of 8 lines: ${eight.up.processes} (the hand recipe: ` +
          `${eight.recipeUp.processes})`,
      ),
    );
  }
  return out.join('\n');
}

function daemon(p: PartRecord): string {
  const d = (p.figures as unknown as Daemon[])[0];
  if (!d) return '';
  const slow = p.env?.slowdown ?? NaN;
  const s = d.storm;
  const out = [
    header(
      p,
      `\`wanbond watch\` on ${d.lines} lines, probes every ${d.probeIntervalMs} ms; CPU time from /proc (the ` +
        `daemon alone, and with its ip monitor, pings and batch ip and tc), share of one CPU`,
    ),
    '',
    '| | daemon CPU | with its children | RSS | RSS peak |',
    '|---|---|---|---|---|',
    `| at rest, ${d.idleSeconds} s | ${pct(d.idle.daemon)} | ${pct(d.idle.withChildren)} | ` +
      `${(d.idle.rssEndKb / 1024).toFixed(1)} MB | ${(d.idle.rssPeakKb / 1024).toFixed(1)} MB |`,
    ...(d.idleNoMetrics
      ? [
          `| at rest, \`metrics = off\` (prom-client not loaded; a daemon of its own, before), ` +
            `${d.noMetricsSeconds} s | ${pct(d.idleNoMetrics.daemon)} | ${pct(d.idleNoMetrics.withChildren)} | ` +
            `${(d.idleNoMetrics.rssEndKb / 1024).toFixed(1)} MB | ` +
            `${(d.idleNoMetrics.rssPeakKb / 1024).toFixed(1)} MB |`,
        ]
      : []),
    ...(d.idleProcesses
      ? [
          `| at rest, a process per command and the lock per change (\`WANBOND_WATCH_PROCESSES=1\`, as before ` +
            `the batch children; a daemon of its own, before), ${d.idleSeconds} s | ` +
            `${pct(d.idleProcesses.daemon)} | ${pct(d.idleProcesses.withChildren)} | ` +
            `${(d.idleProcesses.rssEndKb / 1024).toFixed(1)} MB | ` +
            `${(d.idleProcesses.rssPeakKb / 1024).toFixed(1)} MB |`,
        ]
      : []),
    ...(d.idleSlow
      ? [
          `| at rest, probes every 1 s instead, ${d.idleSeconds} s | ${pct(d.idleSlow.daemon)} | ` +
            `${pct(d.idleSlow.withChildren)} | ${(d.idleSlow.rssEndKb / 1024).toFixed(1)} MB | ` +
            `${(d.idleSlow.rssPeakKb / 1024).toFixed(1)} MB |`,
        ]
      : []),
    `| ${s.flaps} flaps of one line in ${s.seconds} s (15 s measured) | ${pct(s.daemon)} | ` +
      `${pct(s.withChildren)} | ${(s.rssEndKb / 1024).toFixed(1)} MB | ${(s.rssPeakKb / 1024).toFixed(1)} MB |`,
    ...(d.nodeFloorKb
      ? [
          '',
          `An empty node process (\`node -e 'setTimeout(...)'\`) has ${(d.nodeFloorKb / 1024).toFixed(1)} MB ` +
            `RSS in the same lab: node's own floor.`,
        ]
      : []),
    '',
    `During the storm: ${s.events} log events, ${s.ringChanges} ring changes, the line ` +
      `${s.suppressed ? 'suppressed for flapping' : 'never suppressed'}, ${s.othersOut} other ` +
      `line${s.othersOut === 1 ? '' : 's'} taken out.`,
    '',
    verdict(d.idle.rssEndKb / 1024 < 60, `daemon under 60 MB RSS at rest: ${(d.idle.rssEndKb / 1024).toFixed(1)} MB`),
    verdict(
      d.idle.withChildren < 0.005,
      `under 0.5 % CPU at rest: ${pct(d.idle.withChildren)} of one lab CPU with its probes ` +
        `(${pct(d.idle.daemon)} the daemon alone); scaled by x${slow.toFixed(1)}, about ` +
        `${pct(d.idle.withChildren / slow)} on the host (an estimate)`,
    ),
  ];
  return out.join('\n');
}

function faults(p: PartRecord): string {
  const rows = (p.figures[0] as { rows?: Fault[] } | undefined)?.rows ?? [];
  const out = [
    header(
      p,
      "4 T1 lines, router B equalizing its ends, one saturating TCP flow (the lab's own generator) from router " +
        "A to host H; each fault of the card simulator first with `wanbond up` alone, which is what the seeds' " +
        'recipe gives too (nothing takes a failed line out), then with `wanbond watch` at its defaults: ' +
        '"processes", as it ran before its batch children (WANBOND_WATCH_PROCESSES=1: a process per command, ' +
        'the lock taken per change), then as it runs now ("children")',
    ),
    '',
    '| fault | daemon | detected | out of the ring | the ring change | packets lost on the line | goodput while ' +
      'out / ((N-1)/N of before) | used again after the line was back |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((f) => {
      // A restarted device deletes its interface, and the kernel the slave with it: out at once, and
      // without the daemon out of the bond for good (until someone runs `up`).
      const gone = f.fault === 'restart' && !f.daemon;
      const out = gone ? 'at once (the interface was deleted)' : f.outOfRingMs === null ? 'never' : ms(f.outOfRingMs);
      const back = gone ? 'never (until someone runs `up`)' : ms(f.rejoinMs);
      const daemon = f.daemon ? `watch${f.exec ? ` (${f.exec})` : ''}` : 'up only';
      const change = f.ringChange
        ? `${ms(f.ringChange.ms)} (${ms(f.ringChange.commandMs)} in commands), ${f.ringChange.processes ?? '?'} ` +
          `process${f.ringChange.processes === 1 ? '' : 'es'}` +
          (f.ringChange.cached === undefined
            ? ''
            : f.ringChange.cached
              ? ', no read first'
              : `, read first${f.ringChange.readWhy ? ` (${f.ringChange.readWhy})` : ''}`)
        : '-';
      return (
        `| ${f.fault} | ${daemon} | ${ms(f.detectMs)} | ${out} | ${change} | ${f.lostPackets} | ` +
        `${r2(f.ratio)} (${mbit(f.duringBps)} of ${mbit(f.beforeBps)} Mbit/s) | ${back} |`
      );
    }),
  ];
  // The issue's target: a link fault out of the ring within 100 ms at default settings (the daemon as it runs now).
  const goals = rows
    .filter((f) => f.daemon && f.exec !== 'processes' && (f.fault === 'driver-down' || f.fault === 'carrier-loss'))
    .map((f) =>
      verdict(
        f.outOfRingMs !== null && f.outOfRingMs <= 100,
        `${f.fault}: out of the ring ${ms(f.outOfRingMs)} after the fault, goal 100 ms`,
      ),
    );
  if (goals.length > 0) out.push('', ...goals);
  return out.join('\n');
}

function stress(p: PartRecord): string {
  const s = (p.figures as unknown as Stress[])[0];
  if (!s) return '';
  return [
    header(
      p,
      'leave/rejoin cycles of one line under one saturating TCP flow, the daemon at stress settings (rejoin at ' +
        'once, never suppressed)',
    ),
    '',
    `- ${s.cycles} cycles in ${s.seconds.toFixed(0)} s at ${mbit(s.rateBps)} Mbit/s mean; ${s.stalls} s in 5 s ` +
      `stretches without traffic; lines in the bond after: ${s.linesAfter.join(', ')}`,
    `- daemon heap every 25 cycles (MB): ${s.memory.map((m) => (m.heapUsedKb / 1024).toFixed(1)).join(' ')}`,
    `- daemon RSS every 25 cycles (MB): ${s.memory.map((m) => (m.rssKb / 1024).toFixed(0)).join(' ')}`,
  ].join('\n');
}

const RENDER: Record<string, (p: PartRecord) => string> = {
  aggregation,
  'single-flow': singleFlow,
  unequal,
  control,
  daemon,
  faults,
  stress,
};

/** `md` with each stored part rendered between its markers (appended at the end where it has none). */
export function renderBenchmarks(md: string, results: BenchResults, o: { sectionsOnly?: boolean } = {}): string {
  let out = md;
  const sections: string[] = [];
  for (const name of ORDER) {
    const p = results.parts[name];
    if (!p) continue;
    const body = (RENDER[name] as (p: PartRecord) => string)(p);
    sections.push(`### ${name}\n\n${body}`);
    const open = `<!-- bench:${name} -->`,
      close = `<!-- /bench:${name} -->`;
    const a = out.indexOf(open),
      b = out.indexOf(close);
    const block = `${open}\n${body}\n${close}`;
    out =
      a >= 0 && b > a
        ? out.slice(0, a) + block + out.slice(b + close.length)
        : `${out.trimEnd()}\n\n## ${name}\n\n${block}\n`;
  }
  return o.sectionsOnly ? `${sections.join('\n\n')}\n` : out;
}
