// `wanbond doctor --bundle FILE`: one tar.gz with what a support engineer asks for first, secrets
// masked (mask.ts): the wanpipe files and settings, the plan, the doctor's own report, the kernel's
// addresses, links, routes, rules and qdiscs, /proc/net/wanrouter, the daemon's health and recent
// log, versions. Reads go through the Runner (commands) or are files wanbond reads anyway; a read
// that fails puts its error in the file instead, so a bundle is always whole. Written atomically,
// mode 0600: even masked, it describes the router.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Context } from '../cli/context.js';
import { readSiteInput } from '../config/load.js';
import { WanbondError } from '../errors.js';
import type { Command } from '../exec/runner.js';
import { fileStamp } from '../fsx/atomic-write.js';
import { readNoFollow, writeNoFollow } from '../fsx/safe-files.js';
import { VERSION } from '../version.js';
import { HEALTH_FILE } from '../watch/health-file.js';
import type { DoctorInput } from './input.js';
import { maskSecrets } from './mask.js';
import type { DoctorReport } from './report.js';
import { tarGz, type TarEntry } from './tar.js';

const errorText = (e: unknown) => `error: ${(e as Error)?.message ?? String(e)}\n`;

/** Every file of the bundle, named within its top folder. */
export async function bundleEntries(ctx: Context, x: DoctorInput, report: DoctorReport, o: { confDir: string; settingsFile: string | undefined }): Promise<TarEntry[]> {
  const r = ctx.runner;
  const out: TarEntry[] = [];
  const add = (name: string, data: string | Buffer) => { out.push({ name, data }); };
  // wanpipe and settings files are read as latin1 (as wanconfig reads bytes): written back byte for byte.
  const addFile = (name: string, text: string) => add(name, Buffer.from(maskSecrets(text), 'latin1'));
  const command = async (name: string, c: Command) => add(name, await r.read(c).catch(errorText));

  const site = await readSiteInput(o.confDir).catch((e: unknown) => e as Error);
  if (site instanceof Error) add('wanpipe/README', `cannot read ${o.confDir}: ${site.message}\n`);
  else {
    for (const [n, f] of site.confFiles) addFile(`wanpipe/${n}`, f.text);
    if (site.rc) addFile('wanpipe/wanrouter.rc', site.rc.text);
    for (const [n, text] of site.ipFiles) addFile(`wanpipe/interfaces/${path.basename(n)}`, text);
  }
  if (o.settingsFile) {
    const s = await fs.readFile(o.settingsFile, 'latin1').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : errorText(e)));
    if (s === undefined) add('wanbond.conf', `# ${o.settingsFile} does not exist: embedded defaults\n`);
    else addFile('wanbond.conf', s);
  }

  let plan: unknown;
  try { plan = ctx.planForDisplay(x.observed); } catch (e) { plan = { error: (e as Error).message, hint: e instanceof WanbondError ? e.hint : undefined }; }
  add('plan.json', JSON.stringify(plan, null, 2) + '\n');
  add('doctor.json', JSON.stringify(report, null, 2) + '\n');
  add('sysctl.txt', Object.entries(x.observed.sysctls).map(([k, v]) => `${k} = ${v}\n`).join(''));

  await command('ip-addr.txt', { file: 'ip', args: ['-d', 'addr', 'show'] });
  await command('ip-link.txt', { file: 'ip', args: ['-d', '-s', 'link', 'show'] });
  await command('ip-route.txt', { file: 'ip', args: ['route', 'show', 'table', 'all'] });
  await command('ip-rule.txt', { file: 'ip', args: ['rule', 'show'] });
  await command('tc-qdisc.txt', { file: 'tc', args: ['-s', 'qdisc', 'show'] });

  const devices = [...new Set([...x.desired.wanpipeDevices.map((d) => d.name), ...(x.observed.wanrouterDevices ?? []).map((d) => d.name)])];
  for (const f of ['status', 'config', 'interfaces', 'hwprobe', 'map', ...devices]) {
    const text = await r.readFile(path.join(ctx.wanrouterProc, f)).catch(errorText);
    if (text !== undefined) add(`proc-net-wanrouter/${f}`, text);
  }

  for (const f of [HEALTH_FILE, 'applied.json', 'drivers.json']) {
    const text = await readNoFollow(path.join(ctx.stateDir, f)).catch(errorText);
    if (text !== undefined) add(`state/${f}`, text);
  }
  await command('watch-log.txt', { file: 'journalctl', args: ['-u', 'wanbond-watch.service', '-n', '500', '--no-pager', '-o', 'short-iso'] });

  const ipV = (await r.read({ file: 'ip', args: ['-V'] }).catch(errorText)).trim();
  add('versions.txt', [`wanbond ${VERSION}`, `node ${process.version}`, `kernel ${x.kernel.release ?? 'unknown'}`, ...(x.kernel.procVersion ? [x.kernel.procVersion.trim()] : []), ipV, ''].join('\n'));
  return out;
}

/** The archive, written whole or not at all: a fresh temporary file renamed over FILE. */
export async function writeBundle(file: string, entries: readonly TarEntry[], now: Date = new Date()): Promise<{ bytes: number; top: string }> {
  const top = `wanbond-doctor-${fileStamp(now)}`;
  const data = tarGz(entries.map((e) => ({ name: `${top}/${e.name}`, data: e.data })), now);
  await writeNoFollow(path.resolve(file), data, 0o600);
  return { bytes: data.length, top };
}
