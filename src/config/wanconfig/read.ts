// A wanpipeN.conf read record by record as wanconfig reads it (wanconfig.c 7.0.15): fgets into a 256-byte buffer
// (2348), so a line is read in pieces of at most 255 bytes; each piece is one record at most, from its first
// byte that is not a space or tab to the first '#', ';', CR, LF or NUL (2353-2355); a section is the records after
// the first header of that name up to the next record starting with '[' (2297-2322). Duplicate keys, duplicate
// sections and lines outside any section are kept as facts for the file model to judge. Pure: no I/O.
import type { Entry, LexedFile, Section, SourceLine } from '../lex.js';
import { splitLines } from '../lex.js';

/** fgets(buf, MAX_CFGLINE = 256): a piece holds at most 255 bytes. */
export const PIECE_BYTES = 255;
/** tokenize() (2386-2424) keeps at most 32 tokens: the key and 31 values; text after the 31st comma is lost. */
const MAX_VALUES = 31;

export interface ConfRecord {
  line: number;
  /** Offsets of the record in its source line's text (without the line ending). */
  start: number;
  end: number;
  text: string;
  /** Which fgets piece of its line this is: 0 for the line's start, 1.. for the rest of an overlong line. */
  piece: number;
}

export interface WSection extends Section {
  /** Records without '=': wanconfig's tokenize() finds no token in them. */
  bare: ConfRecord[];
}

/** A fact about the reading that changes nothing wanconfig configures, but may surprise whoever wrote the file. */
export interface ReadNote {
  line: number;
  what: string;
  hint: string;
}

export interface WanpipeText extends LexedFile {
  sections: WSection[];
  records: ConfRecord[];
  notes: ReadNote[];
  /** The text has CRs but no LF: one line to fgets, read in 255-byte pieces. */
  crOnly: boolean;
  /** A header on line 1 behind a UTF-8 byte-order mark, which wanconfig never matches: its name. */
  bomHeader: string | undefined;
}

const stripBlanks = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

/** The records of one source line, piece by piece. */
function lineRecords(l: SourceLine): ConfRecord[] {
  const full = l.text + (l.eol === '\r\n' ? '\r' : '');
  const out: ConfRecord[] = [];
  // The LF belongs to the last piece; it never starts a record, so pieces of the text alone suffice, but a
  // piece boundary must count it: a 255-byte text plus LF is one piece of 255 and one of "\n".
  for (let p = 0, o = 0; o < full.length; p++, o += PIECE_BYTES) {
    const piece = full.slice(o, o + PIECE_BYTES);
    let s = 0;
    while (s < piece.length && (piece[s] === ' ' || piece[s] === '\t')) s++;
    let e = s;
    while (e < piece.length && !'#;\r\n\0'.includes(piece[e] as string)) e++;
    if (e > s) out.push({ line: l.no, start: o + s, end: o + e, text: piece.slice(s, e), piece: p });
  }
  return out;
}

function entryOf(r: ConfRecord): Entry {
  const eq = r.text.indexOf('=');
  const key = stripBlanks(r.text.slice(0, eq));
  const rhs = r.text.slice(eq + 1);
  let vs = 0;
  while (vs < rhs.length && (rhs[vs] === ' ' || rhs[vs] === '\t')) vs++;
  let ve = rhs.length;
  while (ve > vs && (rhs[ve - 1] === ' ' || rhs[ve - 1] === '\t')) ve--;
  const value = rhs.slice(vs, ve);
  return {
    key,
    keyUpper: key.toUpperCase(),
    value,
    values: rhs.split(',').slice(0, MAX_VALUES).map(stripBlanks),
    line: r.line,
    valueStart: r.start + eq + 1 + vs,
    valueEnd: r.start + eq + 1 + ve,
    piece: r.piece,
  };
}

function describeRun(run: ConfRecord[]): string {
  const first = run[0] as ConfRecord;
  const last = run[run.length - 1] as ConfRecord;
  return first.line === last.line ? `line ${first.line}` : `lines ${first.line}-${last.line}`;
}

export function readWanpipe(file: string, text: string): WanpipeText {
  const lines = splitLines(text);
  const crOnly = text.includes('\r') && !text.includes('\n');
  const records = lines.flatMap(lineRecords);
  const sections: WSection[] = [];
  const notes: ReadNote[] = [];
  const byName = new Map<string, WSection>();
  let current: WSection | undefined;
  let orphans: ConfRecord[] = [];
  let orphanWhy = 'before the first section header';
  const flushOrphans = () => {
    if (orphans.length === 0) return;
    const first = orphans[0] as ConfRecord;
    notes.push({
      line: first.line,
      what:
        `${describeRun(orphans)} ('${first.text}'${orphans.length > 1 ? ', ...' : ''}) ${orphanWhy}: ` +
        `wanconfig reads no section there and ignores ${orphans.length > 1 ? 'them' : 'it'}`,
      hint: 'move the settings under the section they belong to, or comment them out with #',
    });
    orphans = [];
  };
  const close = (r: ConfRecord) => {
    if (current) current.endLine = r.line - 1;
    current = undefined;
  };
  for (const l of lines) {
    const nul = l.text.indexOf('\0');
    const cut = l.text.search(/[#;\r]/);
    if (nul >= 0 && (cut < 0 || nul < cut) && nul < PIECE_BYTES) {
      notes.push({
        line: l.no,
        what: `line ${l.no} holds a NUL byte at column ${nul + 1}: wanconfig reads the line only up to it`,
        hint: 'restore the file from its backup or regenerate it with wancfg',
      });
    }
  }
  let bomHeader: string | undefined;
  for (const r of records) {
    if (r.line === 1 && r.start === 0 && r.text.startsWith('\xef\xbb\xbf[')) {
      const c = r.text.indexOf(']');
      if (c > 0) bomHeader = r.text.slice(4, c);
    }
    if (r.text[0] === '[') {
      flushOrphans();
      close(r);
      const c = r.text.indexOf(']');
      if (c < 0) {
        orphanWhy = `after '${r.text}' on line ${r.line}, a header without ']' that ends the section above it`;
        notes.push({
          line: r.line,
          what: `'${r.text}' has no ']': wanconfig never matches it, yet it ends the section above it`,
          hint: `close the header with ']' on line ${r.line}`,
        });
        continue;
      }
      const name = r.text.slice(1, c);
      const first = byName.get(name);
      if (first) {
        orphanWhy = `in the second [${name}], which wanconfig never reads`;
        notes.push({
          line: r.line,
          what:
            `section [${name}] at line ${r.line} repeats [${name}] of line ${first.line}: ` +
            'wanconfig reads only the first',
          hint: `merge the two [${name}] sections into the one at line ${first.line}`,
        });
        continue;
      }
      current = { name, line: r.line, entries: [], bare: [], endLine: r.line, lastEntryLine: r.line };
      byName.set(name, current);
      sections.push(current);
      continue;
    }
    if (!current) {
      orphans.push(r);
      continue;
    }
    if (r.text.includes('=')) {
      current.entries.push(entryOf(r));
      current.lastEntryLine = r.line;
    } else current.bare.push(r);
  }
  flushOrphans();
  if (current) (current as WSection).endLine = lines.length;
  if (bomHeader !== undefined) {
    notes.push({
      line: 1,
      what:
        `line 1 starts with a UTF-8 byte-order mark (bytes EF BB BF), which wanconfig does not skip: ` +
        `it never finds the header [${bomHeader}] behind it, so it reads none of [${bomHeader}]'s lines`,
      hint: `remove the mark: sed -i '1s/^\\xEF\\xBB\\xBF//' ${file}`,
    });
  }
  return { file, lines, sections, records, notes, crOnly, bomHeader };
}

/** The entry that wins for a key in a section: wanconfig applies records in order, so the last. */
export function lastEntry(s: Section | undefined, keyUpper: string): Entry | undefined {
  if (!s) return undefined;
  for (let i = s.entries.length - 1; i >= 0; i--) if (s.entries[i]?.keyUpper === keyUpper) return s.entries[i];
  return undefined;
}
