// The daemon's runner: `ip` and `tc` commands go to long-lived batch children (one per program and global
// options), so a ring change (its reads, its `tc -batch`, the reads that verify it) starts no process.
// Every other command, and any whose words iproute2's batch reader would not pass through as they are,
// runs as its own process through the inner runner. A command keeps its meaning: a batch stops at its
// first failing line and reports it as `-batch -` does ("Command failed -:N").
import { batchSafe } from '../apply/batch.js';
import { CommandError } from '../errors.js';
import type { Log } from '../log.js';
import { BatchChild, BatchChildError } from './batch-child.js';
import { argvOf, hintFor, type Command, type Programs, type Runner } from './runner.js';

/** The global options a routed command may carry; a read must ask for JSON (its end is read as a document). */
const OPTIONS = new Set(['-j', '-s', '-d']);
/** As long as a command of its own may take (ExecaRunner's bound). */
const TIMEOUT_MS = 120_000;
/** The kernel or iproute2 not finding a device: maybe only a changing child's stale name cache (see below). */
const NO_DEVICE = /No such device|Cannot find device/;
/**
 * The reads a child serves: whole dumps only. Some of iproute2's list filters are static and never reset
 * (tc_qdisc.c's filter_ifindex, filter_parent), so one `qdisc show dev X` would narrow every later read.
 */
const READS: Record<'ip' | 'tc', RegExp> = {
  ip: /^(link show|addr show|rule show|route show table (main|\d+))$/,
  tc: /^qdisc show$/,
};

/**
 * iproute2 resolves device names and indexes through a cache it fills once per process (lib/ll_map.c,
 * ll_init_map) and never refreshes: in a long-lived child, an interface deleted and created again under
 * its name (a device restart) keeps its old ifindex there, and a command on it fails with "No such device"
 * (or, were that ifindex reused, would change another interface); one renamed keeps its old name in `tc`'s
 * listing. So every child is renewed whenever a link read shows a name with another ifindex, or an ifindex
 * with another name, than before. Pure.
 */
export function linkIds(linkShowJson: string): Map<string, number> | undefined {
  try {
    const links = JSON.parse(linkShowJson) as { ifname?: unknown; ifindex?: unknown }[];
    if (!Array.isArray(links)) return undefined;
    return new Map(
      links.flatMap((l) =>
        typeof l.ifname === 'string' && typeof l.ifindex === 'number' ? [[l.ifname, l.ifindex]] : [],
      ),
    );
  } catch {
    return undefined;
  }
}

interface Routed {
  key: string;
  file: 'ip' | 'tc';
  options: string[];
  lines: string[];
}

/** Where a command goes: a batch child (and which), or undefined for a process of its own. Pure. */
export function routeOf(cmd: Command, reading: boolean): Routed | undefined {
  if (cmd.file !== 'ip' && cmd.file !== 'tc') return undefined;
  const file = cmd.file;
  let i = 0;
  while (i < cmd.args.length && cmd.args[i]!.startsWith('-') && cmd.args[i] !== '-batch') i++;
  const options = cmd.args.slice(0, i);
  const rest = cmd.args.slice(i);
  if (!options.every((o) => OPTIONS.has(o))) return undefined;
  if (reading !== options.includes('-j')) return undefined;
  let lines: string[];
  if (rest[0] === '-batch') {
    if (rest.length !== 2 || rest[1] !== '-' || cmd.input === undefined) return undefined;
    lines = cmd.input
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    if (!lines.every((l) => batchSafe({ file, args: l.split(/\s+/) }))) return undefined;
  } else {
    if (rest.length === 0 || cmd.input !== undefined || !batchSafe({ file, args: rest })) return undefined;
    lines = [rest.join(' ')];
  }
  if (reading && !lines.every((l) => READS[file].test(l))) return undefined;
  const sorted = [...options].sort();
  return { key: keyOf(file, sorted), file, options: sorted, lines };
}

/** One child per program and sorted global options. */
const keyOf = (file: 'ip' | 'tc', sorted: readonly string[]) => `${file} ${sorted.join(' ')}`;

export class ChildRunner implements Runner {
  private readonly children = new Map<string, BatchChild>();
  private spawned = 0;
  private ownMs = 0;
  /** Each name's ifindex as the link reads showed it since the children were last renewed. */
  private ids = new Map<string, number>();
  /** The children that make changes are started ahead, and again after each renewal, until the close. */
  private warmed = false;

  constructor(
    private readonly inner: Runner,
    private readonly log: Log,
    private readonly programs: Programs = {},
  ) {}

  /** Processes started: the inner runner's and the batch children's. */
  get started(): number {
    return (this.inner.started ?? 0) + this.spawned;
  }

  get commandMs(): number {
    return (this.inner.commandMs ?? 0) + this.ownMs;
  }

  async read(cmd: Command): Promise<string> {
    const r = routeOf(cmd, true);
    if (!r) return this.inner.read(cmd);
    const out = await this.run(cmd, r, true);
    // A batch read's first document is its first command's (each is one line).
    if (r.file === 'ip' && r.lines[0] === 'link show') await this.noteLinks(out.slice(0, out.indexOf('\n') + 1));
    return out;
  }

  /** A link read: every child is renewed if a name or an ifindex moved (a device recreated or renamed). */
  private async noteLinks(out: string): Promise<void> {
    const now = linkIds(out);
    if (!now) return;
    const names = new Map([...this.ids].map(([name, index]) => [index, name]));
    const moved = [...now].some(
      ([name, index]) => (this.ids.get(name) ?? index) !== index || (names.get(index) ?? name) !== name,
    );
    if (!moved) {
      for (const [name, index] of now) this.ids.set(name, index);
      return;
    }
    this.ids = now;
    await this.renew();
  }

  /** Ends every child: the next command starts a fresh one, with iproute2's name cache read anew. */
  private async renew(): Promise<void> {
    const all = [...this.children.values()];
    this.children.clear();
    // A fresh child's name cache fills at its first command, so one started now sees the kernel as it is then.
    if (this.warmed) this.warm();
    await Promise.all(all.map((c) => c.close()));
  }

  /**
   * Starts the `ip` and `tc` children that make changes now, and again after each renewal: a line's exit
   * from the ring then waits for no process start (about 150 ms under the lab's TCG), the first one after
   * the daemon's start or a device's restart included.
   */
  warm(): void {
    this.warmed = true;
    for (const file of ['ip', 'tc'] as const)
      this.child({ key: keyOf(file, []), file, options: [], lines: [] }).spawn();
  }

  /** Ends every batch child (the daemon's stop). */
  close(): Promise<void> {
    this.warmed = false;
    return this.renew();
  }

  async change(cmd: Command): Promise<void> {
    const r = routeOf(cmd, false);
    if (!r) return this.inner.change(cmd);
    const t0 = Date.now();
    try {
      await this.run(cmd, r, false);
    } finally {
      this.log.debug({ argv: argvOf(cmd), input: cmd.input, ms: Date.now() - t0, child: r.key }, 'command');
    }
  }

  readFile(path: string): Promise<string | undefined> {
    return this.inner.readFile(path);
  }

  private child(r: Routed): BatchChild {
    let c = this.children.get(r.key);
    if (!c) {
      c = new BatchChild({
        file: this.programs[r.file] ?? r.file,
        options: r.options,
        timeoutMs: TIMEOUT_MS,
        onSpawn: () => this.spawned++,
      });
      this.children.set(r.key, c);
    }
    return c;
  }

  private async run(cmd: Command, r: Routed, json: boolean): Promise<string> {
    const t0 = Date.now();
    try {
      return await this.runLines(cmd, r, json);
    } finally {
      this.ownMs += Date.now() - t0;
    }
  }

  private async runLines(cmd: Command, r: Routed, json: boolean): Promise<string> {
    let out = '';
    const batch = cmd.input !== undefined;
    for (const [i, line] of r.lines.entries()) {
      let a;
      try {
        a = await this.once(r, line, json);
        // The device may be only a changing child's stale cache: once more on a fresh child, which reads
        // the links anew. (A reading child's dumps need no name lookup.)
        if (a.failed && !json && NO_DEVICE.test(a.stderr)) {
          await this.child(r).close({ final: false });
          a = await this.once(r, line, json);
        }
      } catch (e) {
        if (!(e instanceof BatchChildError)) throw e;
        const missing = /command not found/.test(e.message);
        throw new CommandError(
          argvOf(cmd),
          undefined,
          missing ? `${r.file}: command not found` : `${e.message}\n${batch ? `Command failed -:${i + 1}\n` : ''}`,
          missing ? `install ${r.file} (iproute2)` : hintFor(cmd),
          { cause: e, input: cmd.input },
        );
      }
      if (a.failed) {
        // A batch's failure names its line, as `-batch -` does, with the exit 1 a batch gives. One command
        // reports exit 2, what `ip` gives for the kernel's refusal (an approximation: `tc` and a parse
        // error give others; nothing in wanbond branches on it).
        throw new CommandError(
          argvOf(cmd),
          batch ? 1 : 2,
          batch ? `${a.stderr}Command failed -:${i + 1}\n` : a.stderr,
          hintFor(cmd),
          { input: cmd.input },
        );
      }
      out += a.stdout;
    }
    return out;
  }

  /** One line on its child; once more on a fresh child when it never reached a live one (it had died idle). */
  private async once(r: Routed, line: string, json: boolean) {
    try {
      return await this.child(r).run(line, { json });
    } catch (e) {
      if (!(e instanceof BatchChildError) || !e.unsent) throw e;
      return this.child(r).run(line, { json });
    }
  }
}
