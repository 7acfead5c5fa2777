// The card's side only, for the lab: a `wanrouter` stand-in. It reads the same wanpipe configuration
// and wanrouter.rc that wanbond reads; `start`/`stop` create or remove the interfaces [interfaces]
// names (A's ends of the lab's lines), with wanrouter's exit codes and quirks (status exits 0 when
// stopped, a concurrent run exits 0 and deletes the lock, ./return_code in the current folder). It
// keeps a /proc/net/wanrouter-format status and alarm files, and injects the faults a line shows.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadSite } from '../config/load.js';
import type { Site } from '../config/site.js';
import type { Interface } from '../config/wanpipe.js';
import { batchIp, ip, sh } from './sh.js';
import { BatchChild } from '../exec/batch-child.js';
import { defaultLabDir, lossArgs, readLabState, shape, type LabLine, type LabState } from './topology.js';

type Fault = 'if-down' | 'carrier-loss' | 'blackhole' | 'errors';
/** What each running driver read from its file when its device started: it keeps that until a restart. */
interface DriverIface {
  dynIntrCfg: 'YES' | 'NO' | null;
  visibility: Interface['visibility'];
}
/** alarm: the card sees the T1 down (RED/LOS/LOF on, device Disconnected); a dead far end or DLCI is silent. */
interface SimState {
  running: string[];
  faults: Record<string, { kind: Fault; percent?: number; alarm?: boolean }>;
  driver?: Record<string, DriverIface>;
  starts?: Record<string, number>;
}

const labDir = defaultLabDir();
const procDir = path.join(labDir, 'proc');
const simFile = path.join(labDir, 'sim.json');

async function readSim(): Promise<SimState> {
  const s = JSON.parse(await fs.readFile(simFile, 'utf8').catch(() => '{"running":[],"faults":{}}')) as SimState;
  s.driver ??= {};
  return s;
}
async function writeSim(s: SimState): Promise<void> {
  await fs.writeFile(simFile, JSON.stringify(s));
}

const lineOf = (lab: LabState, iface: string): LabLine | undefined => lab.lines.find((l) => l.iface === iface);

async function writeProc(site: Site, sim: SimState): Promise<void> {
  await fs.mkdir(procDir, { recursive: true });
  const rows = site.devices
    .filter((d) => sim.running.includes(d.name))
    .map((d) => {
      const ifs = site.interfaces.filter((i) => i.device === d.name && i.carriesIp);
      const down = ifs.length > 0 && ifs.every((i) => sim.faults[i.name]?.alarm === true);
      const proto = d.card === 'AFT' ? 'AFT TE1' : d.configId.replace('WAN_', '');
      return (
        `${d.name.padEnd(12)}| ${proto.padEnd(9)}| ${'N/A'.padEnd(8)}| ` +
        `${(down ? 'Disconnected' : 'Connected').padEnd(14)}|`
      );
    });
  await fs.writeFile(
    path.join(procDir, 'status'),
    ['Device name | Protocol | Station | Status        |', ...rows, ''].join('\n'),
  );
  let ifRows = 'Interface name | Device name | Media | Operational State |\n';
  const links = JSON.parse(await sh('ip', ['-j', 'link', 'show'])) as { ifname: string; flags: string[] }[];
  for (const i of site.interfaces.filter((x) => sim.running.includes(x.device))) {
    const l = links.find((x) => x.ifname === i.name);
    if (l?.flags.includes('UP'))
      ifRows +=
        `${i.name.padEnd(15)}| ${i.device.padEnd(12)}| ${'0'.padEnd(6)}| ` +
        `${(sim.faults[i.name] ? 'Disconnected' : 'Connected').padEnd(18)}|\n`;
  }
  await fs.writeFile(path.join(procDir, 'interfaces'), ifRows);
  for (const d of site.devices) {
    const file = path.join(procDir, d.name);
    if (!sim.running.includes(d.name)) {
      await fs.rm(file, { force: true });
      continue;
    }
    const alarm = site.interfaces.some((i) => i.device === d.name && sim.faults[i.name]?.alarm === true);
    const on = (b: boolean) => (b ? 'ON' : 'OFF').padStart(10);
    const crc = site.interfaces
      .filter((i) => i.device === d.name && sim.faults[i.name]?.kind === 'errors')
      .reduce((a, i) => a + 1000 * (sim.faults[i.name]?.percent ?? 1), 0);
    const pair = (k1: string, v1: number, k2: string, v2: number) =>
      `${k1.padStart(25)}: ${String(v1).padStart(10)} ${k2.padStart(25)}: ${String(v2).padStart(10)}`;
    await fs.writeFile(
      file,
      [
        pair('total rx packets', 0, 'total tx packets', 0),
        pair('bad rx packets', crc, 'CRC errors', crc),
        '=============================== T1 Alarms ===============================',
        `${'ALOS'.padStart(25)}: ${on(alarm)} ${'LOS'.padStart(25)}: ${on(alarm)}`,
        `${'RED'.padStart(25)}: ${on(alarm)} ${'AIS'.padStart(25)}: ${on(false)}`,
        `${'RAI'.padStart(25)}: ${on(false)} ${'LOF'.padStart(25)}: ${on(alarm)}`,
        '',
      ].join('\n'),
    );
  }
}

async function createInterface(lab: LabState, i: Interface): Promise<void> {
  if (i.mode === 'STACK') {
    await batchIp(undefined, [`link add ${i.name} type dummy`, `link set ${i.name} up`]);
    return;
  }
  const line = lineOf(lab, i.name);
  if (!line) throw new Error(`the lab has no line for ${i.name}`);
  const peer = `wbl-la${line.index}`;
  // A line keeps its identity across card restarts, as a real T1 (which has no MAC at all) does: the
  // veth standing in for it gets the same address every time, so router B's neighbour entries stay right.
  const mac = (end: number) =>
    `02:77:01:00:${line.index.toString(16).padStart(2, '0')}:${end.toString(16).padStart(2, '0')}`;
  await batchIp(undefined, [
    `link add ${i.name} address ${mac(10)} type veth peer name ${peer} address ${mac(11)}`,
    `link set ${peer} netns ${line.netns}`,
  ]);
  await batchIp(line.netns, [`link set ${peer} name la`, 'link set la master br0', 'link set la up']);
  await shape(line.netns, 'la', line.rateKbit);
  const ipFile = await fs.readFile(path.join(lab.confDir, 'interfaces', i.name), 'utf8').catch(() => undefined);
  const addr = ipFile && /^IPADDR=(\S+)/m.exec(ipFile)?.[1];
  const peerAddr = ipFile && /^POINTOPOINT=(\S+)/m.exec(ipFile)?.[1];
  if (addr) await ip(undefined, 'addr', 'add', addr, ...(peerAddr ? ['peer', peerAddr] : []), 'dev', i.name);
  await ip(undefined, 'link', 'set', i.name, 'up');
}

/** One command of a fault: iproute2's program, the namespace it runs in (undefined: router A's), its line. */
interface FaultCommand {
  file: 'ip' | 'tc';
  ns?: string;
  line: string;
}

/** The far side of the line throwing away this share of its packets. */
const loss = (lineNs: string, percent: number): FaultCommand[] => [
  { file: 'tc', ns: lineNs, line: lossArgs('lb', percent).join(' ') },
];

/** What the card's failure does to the line, in order. Pure. */
export function faultCommands(kind: Fault, dev: string, lineNs: string, percent = 100): FaultCommand[] {
  switch (kind) {
    case 'if-down':
      return [{ file: 'ip', line: `link set ${dev} down` }];
    // Carrier loss without downing the peer of an up slave under traffic (that crashes 6.1 kernels):
    // down the slave, then its peer, then bring the slave up again, now without carrier.
    case 'carrier-loss':
      return [
        { file: 'ip', line: `link set ${dev} down` },
        { file: 'ip', ns: lineNs, line: 'link set la down' },
        { file: 'ip', line: `link set ${dev} up` },
      ];
    case 'blackhole':
      return loss(lineNs, 100);
    case 'errors':
      return loss(lineNs, percent);
  }
}

/** What the line's return does. Pure. */
export function clearCommands(kind: Fault, dev: string, lineNs: string): FaultCommand[] {
  switch (kind) {
    case 'if-down':
      return [{ file: 'ip', line: `link set ${dev} up` }];
    case 'carrier-loss':
      return [{ file: 'ip', ns: lineNs, line: 'link set la up' }];
    case 'blackhole':
    case 'errors':
      return loss(lineNs, 0);
  }
}

const argvOf = (c: FaultCommand) => [...(c.ns ? ['-n', c.ns] : []), ...c.line.split(' ')];

/**
 * Runs a fault's first command through an iproute2 child that is started, and has answered once, before
 * the clock starts: `at` is taken just before that command reaches the kernel. A process start under TCG
 * and a saturating flow takes 0.15-1 s, which the lab would otherwise count as the daemon's. The rest
 * run as processes, as before: with carrier loss's three steps back to back through children the lab
 * kernel died at the next card restart in both runs that tried it (BUG in __kmem_cache_free: slab
 * corruption found late); with a process start between the steps it never has.
 */
async function runWarm(cmds: FaultCommand[]): Promise<{ at: number; done: number }> {
  const [first, ...rest] = cmds;
  if (!first) throw new Error('lab: a fault without commands');
  const child = new BatchChild({ file: first.file, options: first.ns ? ['-n', first.ns] : [], timeoutMs: 30_000 });
  const run = async (line: string) => {
    const a = await child.run(line, { json: false });
    if (a.failed) throw new Error(`lab: ${[first.file, ...argvOf({ ...first, line })].join(' ')}: ${a.stderr.trim()}`);
  };
  try {
    await run(first.file === 'ip' ? 'link show dev lo' : 'qdisc show dev lo');
    const at = Date.now();
    await run(first.line);
    for (const c of rest) await sh(c.file, argvOf(c));
    return { at, done: Date.now() };
  } finally {
    await child.close();
  }
}

/** The line's fault made, or taken away: `at` just before the kernel saw it, `done` when it all had run. */
async function onLine(
  lab: LabState,
  i: Interface,
  commands: (lineNs: string) => FaultCommand[],
): Promise<{ at: number; done: number }> {
  const line = lineOf(lab, i.name);
  if (!line) throw new Error(`no line for ${i.name}`);
  return runWarm(commands(line.netns));
}

const applyFault = (lab: LabState, i: Interface, kind: Fault, percent = 100) =>
  onLine(lab, i, (ns) => faultCommands(kind, i.name, ns, percent));
const clearFault = (lab: LabState, i: Interface, kind: Fault) =>
  onLine(lab, i, (ns) => clearCommands(kind, i.name, ns));

/**
 * What the card does to the interface when the T1 fails, given the configuration its driver read at start
 * (wanpipe.md section 2).
 */
export function lineDownEffect(visibility: Interface['visibility']): Fault {
  return visibility === 'driver-downs' ? 'if-down' : visibility === 'carrier' ? 'carrier-loss' : 'blackhole';
}

const drivenAs = (sim: SimState, i: Interface): Interface['visibility'] =>
  sim.driver?.[i.name]?.visibility ?? i.visibility;

async function main(argv: string[]): Promise<number> {
  const [verb = '', a1, a2, a3] = argv;
  const lab = await readLabState(labDir);
  const site = await loadSite(lab.confDir);
  const order = site.rc?.devices?.map((d) => d.name) ?? site.devices.map((d) => d.name);
  const lock = path.join(labDir, 'wanrouter_lock');
  const sim = await readSim();
  const out = (s: string) => process.stdout.write(`${s}\n`);
  // Lab only, not a wanrouter verb: the card's side of the lab, what each driver runs with.
  if (verb === 'driver') {
    out(JSON.stringify({ running: sim.running, driver: sim.driver, starts: sim.starts ?? {} }));
    return 0;
  }
  if (verb === 'status' || verb === 'list') {
    out(sim.running.length === 0 ? 'Router is stopped !' : `Devices currently active:\n\t${sim.running.join(' ')}`);
    out(await fs.readFile(path.join(procDir, 'status'), 'utf8').catch(() => ''));
    return 0; // as the real script: 0 even when stopped
  }
  if (verb === 'flap') {
    // A line that drops and returns COUNT times, PERIOD_MS apart, as the configured driver shows it.
    const i = site.interfaces.find((x) => x.name === a1);
    const count = Number(a2 ?? 5),
      period = Number(a3 ?? 1000);
    if (!i?.carriesIp || !(count > 0) || !(period >= 50)) {
      out('usage: wanrouter flap <ifname> <count> <period-ms>');
      return 2;
    }
    const kind = lineDownEffect(drivenAs(sim, i));
    let first: number | undefined;
    for (let n = 0; n < count; n++) {
      const { at } = await applyFault(lab, i, kind);
      first ??= at;
      await new Promise((r) => setTimeout(r, period / 2));
      await clearFault(lab, i, kind);
      await new Promise((r) => setTimeout(r, period / 2));
    }
    // at: the first fault, just before the kernel saw it.
    out(`${i.name}: flapped ${count} times (${kind}) from at=${first}`);
    return 0;
  }
  if (verb === 'fault' || verb === 'clear') {
    const i = site.interfaces.find((x) => x.name === a1);
    if (!i?.carriesIp) {
      out(`no IP interface ${a1}`);
      return 1;
    }
    const had = sim.faults[i.name];
    let clearedAt = Date.now();
    if (had) {
      clearedAt = (await clearFault(lab, i, had.kind)).at;
      delete sim.faults[i.name];
    }
    if (verb === 'clear') out(`${i.name}: cleared at=${clearedAt}`);
    if (verb === 'fault') {
      const kind = (a2 === 'line-down' ? lineDownEffect(drivenAs(sim, i)) : a2) as Fault;
      if (!['if-down', 'carrier-loss', 'blackhole', 'errors'].includes(kind)) {
        out(`unknown fault ${a2}`);
        return 2;
      }
      const percent = a3 ? Number(a3) : undefined;
      // at: just before the kernel sees the fault (the lab measures the daemon's reaction from there).
      const { at, done } = await applyFault(lab, i, kind, percent);
      // line-down is the T1 itself failing, which the card sees whatever its driver does with the interface.
      const alarm = a2 === 'line-down' || kind === 'if-down' || kind === 'carrier-loss';
      sim.faults[i.name] = { kind, alarm, ...(percent !== undefined ? { percent } : {}) };
      out(`${i.name}: ${kind}${alarm ? ' (T1 alarm)' : ''} at=${at} done=${done}`);
    }
    await writeSim(sim);
    await writeProc(site, sim);
    return 0;
  }
  if (verb !== 'start' && verb !== 'stop' && verb !== 'restart') {
    out(
      `Usage: wanrouter {start|stop|restart|status} [wanpipeN] | ` +
        `fault <if> line-down|if-down|carrier-loss|blackhole|errors <pct> | ` +
        `clear <if> | flap <if> <count> <period-ms> | driver`,
    );
    return 1;
  }
  try {
    await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
  } catch {
    out('ERROR: wanrouter script already running!');
    await fs.rm(lock, { force: true }); // the real script's cleanup deletes the lock it did not take
    return 0;
  }
  let rc = 0;
  const startedAt = Date.now();
  try {
    const startDelay = Number(process.env['WANBOND_LAB_START_DELAY_MS'] ?? 0);
    const stop = async (d: string, ifs: Interface[]) => {
      out(`Stopping ${d}...`);
      for (const i of [...ifs].reverse()) {
        await sh('ip', ['link', 'del', i.name], { allowFail: true });
        delete sim.faults[i.name];
        delete sim.driver?.[i.name];
      }
      sim.running = sim.running.filter((x) => x !== d);
    };
    const start = async (d: string, ifs: Interface[]) => {
      out(`Starting WAN Router...\n   ${d}: configured`);
      // A slow card: the lab can make start take its time, as real cards do while the T1 syncs.
      if (startDelay > 0) await new Promise((r) => setTimeout(r, startDelay));
      // The driver reads its configuration now, and only now.
      for (const i of ifs) (sim.driver ??= {})[i.name] = { dynIntrCfg: i.dynIntrCfg ?? null, visibility: i.visibility };
      for (const i of ifs) await createInterface(lab, i);
      sim.running.push(d);
      (sim.starts ??= {})[d] = (sim.starts[d] ?? 0) + 1;
    };
    const devices = a1 ? [a1] : verb === 'stop' ? [...sim.running].reverse() : order;
    if (verb === 'stop' && sim.running.length === 0) {
      out('Router is already stopped !');
      rc = 1;
      return rc;
    }
    for (const d of devices) {
      if (!site.devices.some((x) => x.name === d)) {
        out(`${d}.conf: configuration file not found`);
        rc = 1;
        continue;
      }
      const ifs = site.interfaces.filter((i) => i.device === d);
      if (verb === 'start') {
        if (sim.running.includes(d)) {
          out(`Device ${d} is already running`);
          continue;
        }
        await start(d, ifs);
      } else if (verb === 'stop') {
        if (!sim.running.includes(d)) {
          out(`Device ${d} is not running`);
          rc = 1;
          continue;
        }
        await stop(d, ifs);
      } else {
        if (sim.running.includes(d)) await stop(d, ifs);
        await start(d, ifs);
      }
      await writeSim(sim);
    }
    await writeSim(sim);
    await writeProc(site, sim);
    // at: the restart began (the old interfaces go); done: the new ones are there.
    if (verb === 'restart') out(`restarted at=${startedAt} done=${Date.now()}`);
    await fs.writeFile(path.join(process.cwd(), 'return_code'), `${rc}\n`).catch(() => undefined);
    return rc;
  } finally {
    await fs.rm(lock, { force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  process.exitCode = await main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`wanrouter (lab simulator): ${e.message}\n`);
    return 1;
  });
}
