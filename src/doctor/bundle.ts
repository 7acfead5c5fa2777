// `wanbond doctor --bundle FILE`: one tar.gz with what a support engineer asks for first, secrets
// masked (mask.ts): the wanpipe files and settings, the plan, the doctor's own report, the kernel's
// addresses, links, routes, rules and qdiscs, /proc/net/wanrouter, the daemon's health and recent
// log, versions. Reads go through the Runner (commands) or are files wanbond reads anyway; a read
// that fails puts its error in the file instead, so a bundle is always whole. A configuration that
// does not load is when support is needed most: the bundle is then written without the plan and the
// report, with the error in their place. Written atomically, mode 0600: even masked, it describes
// the router.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BaseContext, Context } from '../cli/context.js';
import { readSiteInput } from '../config/load.js';
import { WanbondError } from '../errors.js';
import type { Command } from '../exec/runner.js';
import { fileStamp } from '../fsx/atomic-write.js';
import { readNoFollow, writeNoFollow } from '../fsx/safe-files.js';
import { VERSION } from '../version.js';
import { HEALTH_FILE } from '../watch/health-file.js';
import type { DoctorInput } from './input.js';
import { maskSecrets, maskText } from './mask.js';
import type { DoctorReport } from './report.js';
import { tarGz, type TarEntry } from './tar.js';

const errorText = (e: unknown) => `error: ${(e as Error)?.message ?? String(e)}\n`;

/** What doctor found, or why it could not look: the configuration did not load. */
export type Diagnosis = { ctx: Context; x: DoctorInput; report: DoctorReport } | { error: unknown };

/** Every file of the bundle, named within its top folder. */
export async function bundleEntries(
  base: BaseContext,
  d: Diagnosis,
  o: { confDir: string; settingsFile: string | undefined },
): Promise<TarEntry[]> {
  const r = base.runner;
  const out: TarEntry[] = [];
  const add = (name: string, data: string | Buffer) => {
    out.push({ name, data });
  };
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
    const s = await fs
      .readFile(o.settingsFile, 'latin1')
      .catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : errorText(e)));
    if (s === undefined) add('wanbond.conf', `# ${o.settingsFile} does not exist: embedded defaults\n`);
    else addFile('wanbond.conf', s);
  }

  const x = 'error' in d ? undefined : d.x;
  if ('error' in d) {
    const e = d.error;
    add(
      'error.txt',
      maskText(
        'wanbond could not load the configuration, so this bundle has no plan and no doctor ' +
          `report:\n${errorText(e)}${e instanceof WanbondError && e.hint ? `fix: ${e.hint}\n` : ''}`,
      ),
    );
  } else {
    let plan: unknown;
    try {
      plan = d.ctx.planForDisplay(d.x.observed);
    } catch (e) {
      plan = { error: (e as Error).message, hint: e instanceof WanbondError ? e.hint : undefined };
    }
    add('plan.json', `${JSON.stringify(plan, null, 2)}\n`);
    add('doctor.json', `${JSON.stringify(d.report, null, 2)}\n`);
    add(
      'sysctl.txt',
      Object.entries(d.x.observed.sysctls)
        .map(([k, v]) => `${k} = ${v}\n`)
        .join(''),
    );
  }

  await command('ip-addr.txt', { file: 'ip', args: ['-d', 'addr', 'show'] });
  await command('ip-link.txt', { file: 'ip', args: ['-d', '-s', 'link', 'show'] });
  await command('ip-route.txt', { file: 'ip', args: ['route', 'show', 'table', 'all'] });
  await command('ip-rule.txt', { file: 'ip', args: ['rule', 'show'] });
  await command('tc-qdisc.txt', { file: 'tc', args: ['-s', 'qdisc', 'show'] });

  const fromFiles = site instanceof Error ? [] : [...site.confFiles.keys()].map((n) => n.replace(/\.conf$/, ''));
  const devices = [
    ...new Set([
      ...fromFiles,
      ...(x?.desired.wanpipeDevices ?? []).map((v) => v.name),
      ...(x?.observed.wanrouterDevices ?? []).map((v) => v.name),
    ]),
  ];
  for (const f of ['status', 'config', 'interfaces', 'hwprobe', 'map', ...devices]) {
    const text = await r.readFile(path.join(base.wanrouterProc, f)).catch(errorText);
    if (text !== undefined) add(`proc-net-wanrouter/${f}`, text);
  }

  for (const f of [HEALTH_FILE, 'applied.json', 'drivers.json']) {
    const text = await readNoFollow(path.join(base.stateDir, f)).catch(errorText);
    if (text !== undefined) add(`state/${f}`, text);
  }
  // The daemon logs a line of a file that does not parse as it stands: a secret can be in it.
  add(
    'watch-log.txt',
    maskText(
      await r
        .read({
          file: 'journalctl',
          args: ['-u', 'wanbond-watch.service', '-n', '500', '--no-pager', '-o', 'short-iso'],
        })
        .catch(errorText),
    ),
  );

  const ipV = (await r.read({ file: 'ip', args: ['-V'] }).catch(errorText)).trim();
  const release = x
    ? x.kernel.release
    : (await r.readFile('/proc/sys/kernel/osrelease').catch(() => undefined))?.trim();
  const procVersion = x ? x.kernel.procVersion : await r.readFile('/proc/version').catch(() => undefined);
  add(
    'versions.txt',
    [
      `wanbond ${VERSION}`,
      `node ${process.version}`,
      `kernel ${release ?? 'unknown'}`,
      ...(procVersion ? [procVersion.trim()] : []),
      ipV,
      '',
    ].join('\n'),
  );
  return out;
}

/** The archive, written whole or not at all: a fresh temporary file renamed over FILE. */
export async function writeBundle(
  file: string,
  entries: readonly TarEntry[],
  now: Date = new Date(),
): Promise<{ bytes: number; top: string }> {
  const top = `wanbond-doctor-${fileStamp(now)}`;
  const data = tarGz(
    entries.map((e) => ({ name: `${top}/${e.name}`, data: e.data })),
    now,
  );
  await writeNoFollow(path.resolve(file), data, 0o600);
  return { bytes: data.length, top };
}
