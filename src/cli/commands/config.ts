import type { Site, Problem } from '../../config/site.js';
import { ipInterfaces, siteProblems } from '../../config/site.js';
import { loadSite } from '../../config/load.js';
import { fixDiff, planFix, writeFix } from '../../config/write-fix.js';
import type { MediaAddr } from '../../config/wanpipe.js';
import type { Io } from '../io.js';
import { table } from '../table.js';
import { plural } from '../../text.js';

function media(m: MediaAddr): string {
  switch (m.kind) {
    case 'none': return '-';
    case 'auto': return 'auto';
    case 'dlci': return `dlci ${m.dlci}`;
    case 'other': return m.text;
  }
}

export function siteJson(site: Site, problems: Problem[]) {
  return {
    confDir: site.confDir,
    files: site.files.map((f) => f.file),
    devices: site.devices.map((d) => ({ name: d.name, file: d.file, line: d.line, protocol: d.configId, card: d.card, cardType: d.cardType ?? null })),
    interfaces: site.interfaces.map((i) => ({
      name: i.name, device: i.device, file: i.file, line: i.line, mode: i.mode, media: media(i.mediaAddr),
      lipProtocol: i.lipProtocol ?? null, profile: i.profile ?? null, carriesIp: i.carriesIp,
      dynIntrCfg: i.dynIntrCfg ?? null, failureVisibility: i.visibility, why: i.why,
      ip: site.ipFiles.get(i.name)?.ipaddr ?? null,
    })),
    bondable: ipInterfaces(site).map((i) => i.name),
    problems,
  };
}

export function formatSite(site: Site, problems: Problem[]): string {
  let s = table(['device', 'protocol', 'card', 'file'],
    site.devices.map((d) => [d.name, d.configId, d.card === 'other' ? (d.cardType ?? '?') : d.card, `${d.file}:${d.line}`]));
  s += '\n';
  s += table(['interface', 'device', 'mode', 'media', 'DYN_INTR_CFG', 'failure seen as', 'bondable'],
    site.interfaces.map((i) => [
      i.name, i.device, i.lipProtocol ? `${i.mode}/${i.lipProtocol}` : i.mode, media(i.mediaAddr),
      i.dynIntrCfg ?? '(NO)', i.carriesIp ? i.visibility : '-', i.carriesIp ? 'yes' : 'no',
    ]));
  s += '\n';
  if (problems.length === 0) s += 'no problems: every IP interface shows a failed line to TEQL\n';
  else {
    s += `${plural(problems.length, 'problem')}:\n`;
    for (const p of problems) s += `  ${p.where}: ${p.what}\n    fix: ${p.hint}\n`;
  }
  return s;
}

export async function configCheck(confDir: string, json: boolean, io: Io): Promise<number> {
  const site = await loadSite(confDir);
  const problems = siteProblems(site);
  io.out(json ? JSON.stringify(siteJson(site, problems), null, 2) + '\n' : formatSite(site, problems));
  return problems.length === 0 ? 0 : 1;
}

export async function configFix(confDir: string, dryRun: boolean, io: Io, only?: ReadonlySet<string>): Promise<number> {
  const site = await loadSite(confDir);
  const p = planFix(site, only);
  for (const r of p.results) for (const s of r.skipped) io.err(`${s.iface}: DYN_INTR_CFG not set: ${s.why}\n`);
  const changes = p.results.flatMap((r) => r.changes.map((c) => ({ file: r.file, ...c })));
  if (changes.length === 0) {
    io.out('nothing to fix: DYN_INTR_CFG = YES is already set wherever it applies\n');
    return 0;
  }
  if (dryRun) {
    io.out(fixDiff(p));
    return 0;
  }
  const written = await writeFix(p);
  for (const c of changes) io.out(`${c.file}:${c.line}: ${c.iface}: DYN_INTR_CFG = YES (${c.action}${c.before !== undefined ? `, was ${c.before}` : ''})\n`);
  for (const w of written) io.out(`backup: ${w.backup}\n`);
  io.out('restart the affected devices for the drivers to read it: wanrouter restart\n');
  return 0;
}
