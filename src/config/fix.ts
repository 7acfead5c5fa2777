// The one edit wanbond makes to a wanpipe file: DYN_INTR_CFG = YES where the driver reads it (the line that wins:
// a LIP profile's over the interface's own section, the last of duplicates), else in the interface's own section,
// by the smallest change (one value, one inserted line, or one appended section). Pure.
import type { SourceLine } from './lex.js';
import { lastEntry } from './wanconfig/read.js';
import type { FileModel, Interface } from './wanpipe.js';

export interface FixChange {
  iface: string;
  action: 'replaced-value' | 'inserted-key' | 'added-section';
  line: number; // line in the original file (for added-section: the last line)
  before: string | undefined;
}

export interface FixResult {
  file: string;
  text: string; // latin1, like the input
  changes: FixChange[];
  skipped: { iface: string; why: string }[];
}

const KEY = 'DYN_INTR_CFG';

/**
 * Interfaces that read the same profile line and that an edit there would change unasked: IP interfaces left out by
 * --only, and interfaces of other modes the driver then takes down on a dead line (all but API and STACK, which LIP
 * never takes down: wanpipe_lip_iface.c 547).
 */
function sharedOutside(fm: FileModel, i: Interface, only: ReadonlySet<string> | undefined): string | undefined {
  if (i.dynIntrCfgSection === undefined || i.dynIntrCfgSection === i.name) return undefined;
  const others = fm.interfaces.filter(
    (x) =>
      x !== i &&
      x.dynIntrCfgLine === i.dynIntrCfgLine &&
      (x.carriesIp ? only !== undefined && !only.has(x.name) : x.mode !== 'API' && x.mode !== 'STACK'),
  );
  return others.length > 0 ? others.map((x) => x.name).join(', ') : undefined;
}

/** Interfaces of this file that the fix would change. */
export function needsFix(
  fm: FileModel,
  only: ReadonlySet<string> | undefined,
): { fix: Interface[]; skipped: { iface: string; why: string }[] } {
  const fix: Interface[] = [];
  const skipped: { iface: string; why: string }[] = [];
  for (const i of fm.interfaces) {
    if (!i.carriesIp || (only && !only.has(i.name))) continue;
    const sharers = sharedOutside(fm, i, only);
    if (!i.dynIntrCfgApplies) skipped.push({ iface: i.name, why: i.why });
    else if (i.dynIntrCfg !== 'YES' && i.misnamedSection) {
      skipped.push({
        iface: i.name,
        why:
          `its settings are in [${i.misnamedSection.name}] (line ${i.misnamedSection.line}), ` +
          `which wanconfig never applies to ${i.name} (names match exactly, spaces included): ` +
          `rename it [${i.name}] first`,
      });
    } else if (i.dynIntrCfg !== 'YES' && sharers) {
      skipped.push({
        iface: i.name,
        why:
          `its DYN_INTR_CFG comes from the profile [${i.dynIntrCfgSection}], which ` +
          `${sharers} also reads: changing it there changes them too; ` +
          `run config fix for them as well, or give ${i.name} a profile of its own`,
      });
    } else if (i.dynIntrCfg !== 'YES') fix.push(i);
  }
  return { fix, skipped };
}

function fileEol(lines: SourceLine[]): SourceLine['eol'] {
  return lines.find((l) => l.eol !== '')?.eol ?? '\n';
}

/** A new `DYN_INTR_CFG = YES` line laid out like its neighbour, so wancfg-style alignment survives. */
function newKeyLine(neighbour: string | undefined): string {
  const m = neighbour === undefined ? null : /^([ \t]*)([^ \t=]+)([ \t]*)=([ \t]*)/.exec(neighbour);
  if (!m) return `${KEY} = YES`;
  const [, lead = '', key = '', gap1 = '', gap2 = ''] = m;
  let gap = gap1;
  if (!gap1.includes('\t')) {
    const col = key.length + gap1.length;
    gap = gap1 === '' ? '' : ' '.repeat(Math.max(1, col - KEY.length));
  }
  return `${lead}${KEY}${gap}=${gap2 === '' ? '' : gap2}YES`;
}

export function computeFix(fm: FileModel, only?: ReadonlySet<string>): FixResult {
  const { fix, skipped } = needsFix(fm, only);
  const lines = fm.lexed.lines.map((l) => ({ ...l }));
  const eol = fileEol(lines);
  const changes: FixChange[] = [];
  const inserts = new Map<number, string[]>(); // after original line no -> new lines
  const appended: string[] = [];
  const replaced = new Set<number>();
  for (const i of fix) {
    const winner = i.dynIntrCfgSection ?? i.name;
    const sec = fm.lexed.sections.find((s) => s.name === winner);
    if (!sec) {
      appended.push('', `[${i.name}]`, `${KEY} = YES`);
      changes.push({ iface: i.name, action: 'added-section', line: lines.length, before: undefined });
      continue;
    }
    const entry = lastEntry(sec, KEY);
    if (entry) {
      // A profile shared by several interfaces is edited once.
      if (replaced.has(entry.line)) continue;
      replaced.add(entry.line);
      const l = lines[entry.line - 1] as SourceLine;
      l.text = `${l.text.slice(0, entry.valueStart)}YES${l.text.slice(entry.valueEnd)}`;
      changes.push({ iface: i.name, action: 'replaced-value', line: entry.line, before: entry.value });
      continue;
    }
    const after = sec.lastEntryLine;
    const neighbour = sec.entries.length > 0 ? fm.lexed.lines[after - 1]?.text : undefined;
    const list = inserts.get(after) ?? [];
    list.push(newKeyLine(neighbour));
    inserts.set(after, list);
    changes.push({ iface: i.name, action: 'inserted-key', line: after, before: undefined });
  }
  const out: string[] = [];
  lines.forEach((l, idx) => {
    const added = inserts.get(idx + 1);
    const isLast = idx === lines.length - 1;
    if (added) {
      out.push(l.text + (l.eol || eol));
      for (const [k, a] of added.entries()) {
        out.push(a + (k === added.length - 1 && isLast && l.eol === '' && appended.length === 0 ? '' : l.eol || eol));
      }
    } else {
      out.push(l.text + (isLast && appended.length > 0 ? l.eol || eol : l.eol));
    }
  });
  if (appended.length > 0) out.push(appended.map((a) => a + eol).join(''));
  return { file: fm.file, text: out.join(''), changes, skipped };
}
