// Line lexer for wanbond's own settings file, in the wanpipe files' syntax (`[section]`, `KEY = a, b`, '#' and
// ';' comments) but strict: a duplicate key or section, a line outside any section or without '=' is an error
// here. wanpipeN.conf files are read as Sangoma's wanconfig reads them, by wanconfig/read.ts, which shares the
// line splitting and the Section and Entry shapes of this file.
// Text is handled as latin1 so every byte maps to one char and an edit can keep all other bytes.
// Pure: no I/O.
import { ConfigError } from '../errors.js';

export interface SourceLine {
  no: number; // 1-based
  text: string; // without its line ending
  eol: '' | '\n' | '\r\n' | '\r';
}

export interface Entry {
  key: string; // as written
  keyUpper: string;
  values: string[]; // comma-split, each trimmed of spaces/tabs; empty fields kept as ''
  value: string; // the whole value text, trimmed
  line: number;
  /** Offsets of the value text inside its source line, for in-place edits. */
  valueStart: number;
  valueEnd: number;
  /** For a wanpipe file: which 255-byte fgets piece of its line the entry was read from (0: the line's start). */
  piece?: number;
}

export interface Section {
  name: string;
  line: number;
  entries: Entry[];
  /** Last line that belongs to this section (before the next header), and last line holding an entry. */
  endLine: number;
  lastEntryLine: number;
}

export interface LexedFile {
  file: string;
  lines: SourceLine[];
  sections: Section[];
}

/** Lines as fgets() reads them: split at '\n' only; a '\r' before it is part of the line ending. */
export function splitLines(text: string): SourceLine[] {
  const out: SourceLine[] = [];
  let start = 0;
  let no = 1;
  const n = text.length;
  while (start < n) {
    let i = text.indexOf('\n', start);
    if (i < 0) i = n;
    let end = i;
    let eol: SourceLine['eol'] = i < n ? '\n' : '';
    if (i < n && i > start && text[i - 1] === '\r') {
      end = i - 1;
      eol = '\r\n';
    }
    out.push({ no: no++, text: text.slice(start, end), eol });
    start = i + 1;
  }
  return out;
}

/** Where the record ends on a line (wanconfig: strcspn(str, "#;\n\r")), or the line's length. */
export function commentStart(text: string): number {
  for (let i = 0; i < text.length; i++) if (text[i] === '#' || text[i] === ';' || text[i] === '\r') return i;
  return text.length;
}

/** wanconfig reads lines with fgets(buf, 256): a longer line is read as several. */
export const MAX_LINE_BYTES = 255;

const isBlank = (c: string | undefined) => c === ' ' || c === '\t';

function firstBinaryByte(text: string): { index: number; code: number } | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || c === 0x7f) return { index: i, code: c };
  }
  return undefined;
}

/** What an empty file is told: a wanpipe file's hint unless the caller's file is another kind (the settings). */
export interface LexOptions {
  emptyHint?: string;
}

export function lex(file: string, text: string, opts: LexOptions = {}): LexedFile {
  const bin = firstBinaryByte(text);
  if (bin) {
    const line = text.slice(0, bin.index).split('\n').length;
    throw new ConfigError(
      file,
      line,
      `binary data (byte 0x${bin.code.toString(16).padStart(2, '0')}) in a text configuration file`,
      'restore the file from its backup or regenerate it with wancfg',
    );
  }
  if (text.startsWith('\xef\xbb\xbf')) {
    throw new ConfigError(
      file,
      1,
      'the file starts with a UTF-8 byte-order mark (bytes EF BB BF): ' +
        'wanconfig does not skip it, so it never finds the first section',
      `remove the mark: sed -i '1s/^\\xEF\\xBB\\xBF//' ${file}`,
    );
  }
  if (text.includes('\r') && !text.includes('\n')) {
    throw new ConfigError(
      file,
      1,
      'the file has CR-only line endings (old Mac style): wanconfig reads it as one line and finds no sections',
      `convert the line endings: sed -i 's/\\r/\\n/g' ${file}`,
    );
  }
  const lines = splitLines(text);
  const long = lines.find((l) => l.text.length + (l.eol === '\r\n' ? 1 : 0) > MAX_LINE_BYTES);
  if (long) {
    throw new ConfigError(
      file,
      long.no,
      `line is ${long.text.length} bytes long: ` +
        `wanconfig reads at most ${MAX_LINE_BYTES} bytes of a line and takes the rest as a line of its own`,
      `shorten line ${long.no} (split a long comment over several lines)`,
    );
  }
  if (lines.every((l) => l.text.trim() === '')) {
    throw new ConfigError(
      file,
      1,
      'file is empty',
      opts.emptyHint ??
        'write a [devices] and an [interfaces] section (see wanpipe-conf/ for samples), ' +
          'or remove the file and its WAN_DEVICES entry',
    );
  }
  const sections: Section[] = [];
  const seen = new Map<string, number>();
  let current: Section | undefined;
  for (const l of lines) {
    const cut = commentStart(l.text);
    const content = l.text.slice(0, cut);
    const trimmed = content.replace(/^[ \t]+|[ \t]+$/g, '');
    if (trimmed === '') continue;
    if (trimmed.startsWith('[')) {
      const close = trimmed.indexOf(']');
      if (close < 0) {
        throw new ConfigError(
          file,
          l.no,
          `unterminated section header: expected '[name]', found '${trimmed}'`,
          `close the header with ']' on line ${l.no}`,
        );
      }
      // wanconfig compares the text between '[' and ']' as it is: `[ wan0 ]` is not [wan0]. Text after ']' is ignored.
      const name = trimmed.slice(1, close);
      if (name === '')
        throw new ConfigError(file, l.no, "empty section name '[]'", `name the section or remove line ${l.no}`);
      const prev = seen.get(name);
      if (prev !== undefined) {
        throw new ConfigError(
          file,
          l.no,
          `duplicate section [${name}] (first defined at line ${prev})`,
          `merge the two [${name}] sections into one`,
        );
      }
      seen.set(name, l.no);
      if (current) current.endLine = l.no - 1;
      current = { name, line: l.no, entries: [], endLine: l.no, lastEntryLine: l.no };
      sections.push(current);
      continue;
    }
    const eq = content.indexOf('=');
    if (!current) {
      throw new ConfigError(
        file,
        l.no,
        `'${trimmed}' is outside any section`,
        'start the file with a section header such as [devices], or comment the line out with #',
      );
    }
    if (eq < 0) {
      throw new ConfigError(
        file,
        l.no,
        `expected 'KEY = value' in section [${current.name}], found '${trimmed}'`,
        `add '= value' or comment the line out with #`,
      );
    }
    const key = content.slice(0, eq).replace(/^[ \t]+|[ \t]+$/g, '');
    if (key === '' || /[\s,]/.test(key)) {
      throw new ConfigError(
        file,
        l.no,
        `expected a key name before '=' in section [${current.name}], found '${key}'`,
        'keys are single words such as DYN_INTR_CFG',
      );
    }
    let vs = eq + 1;
    while (vs < cut && isBlank(l.text[vs])) vs++;
    let ve = cut;
    while (ve > vs && isBlank(l.text[ve - 1])) ve--;
    const value = l.text.slice(vs, ve);
    const keyUpper = key.toUpperCase();
    const dup = current.entries.find((e) => e.keyUpper === keyUpper);
    if (dup) {
      throw new ConfigError(
        file,
        l.no,
        `duplicate key ${key} in section [${current.name}] (first at line ${dup.line})`,
        `keep one ${key} line in [${current.name}]`,
      );
    }
    current.entries.push({
      key,
      keyUpper,
      value,
      line: l.no,
      valueStart: vs,
      valueEnd: ve,
      values: value.split(',').map((v) => v.replace(/^[ \t]+|[ \t]+$/g, '')),
    });
    current.lastEntryLine = l.no;
  }
  if (current) current.endLine = lines.length;
  return { file, lines, sections };
}

/** The section of that name, compared exactly as wanconfig compares it; the first if a file repeats it. */
export function findSection<S extends Section>(f: { sections: readonly S[] }, name: string): S | undefined {
  return f.sections.find((s) => s.name === name);
}
