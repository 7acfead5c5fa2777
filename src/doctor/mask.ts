// Secrets out of files that leave the router in a support bundle: PPP's PAP/CHAP credentials
// (wanpipe's USERID and PASSWD, per-interface keys of wanconfig's chan_conftab), anything named a
// secret or a password, SNMP communities. The line stays, with its key, so the file still reads
// right; only the value goes, to the end of its line: where a value ends cannot be known when it may
// hold a quote, a backslash or the comment character itself. Works on wanpipe files (KEY = value),
// wanrouter.rc and interfaces/ files (KEY=value, shell, several on a line), and wanbond's settings,
// whatever their line endings. Pure.

export const MASK = '********';

/** Keys whose value is a credential. */
const SECRET_KEY = /PASSW(OR)?D|PASSPHRASE|SECRET|COMMUNITY|^USER(ID|NAME)?$|^(PAP|CHAP)_/i;

// A secret commented out (an old password kept for later) is still a secret, and so is one on a
// line that lost its '=' (the file that does not parse is the one sent to support).
const AT_START = /^(\s*(?:[#;]\s*)?(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*|[ \t]+)/;
// Any later assignment on the line (`IPADDR=192.0.2.1 PASSWD=x`, `a=1; export SECRET=y`).
const ANYWHERE = /(^|[\s;&|,(])((?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)/g;

/** Where a secret value starts on this line, or -1. */
function secretAt(line: string): number {
  const m = AT_START.exec(line);
  let at = m && SECRET_KEY.test(m[2] as string) ? m[0].length : -1;
  for (const a of line.matchAll(ANYWHERE)) {
    const start = (a.index ?? 0) + a[0].length;
    if (SECRET_KEY.test(a[3] as string) && (at < 0 || start < at)) at = start;
  }
  return at < 0 || line.slice(at).trim() === '' ? -1 : at;
}

/** The lines of a text with their endings (\n, \r\n, or a lone \r), so a file keeps its own. */
const linesOf = (text: string): { line: string; eol: string }[] => {
  const parts = text.split(/(\r\n|\r|\n)/);
  const out: { line: string; eol: string }[] = [];
  for (let i = 0; i < parts.length; i += 2) out.push({ line: parts[i] as string, eol: parts[i + 1] ?? '' });
  return out;
};

const maskLine = (line: string): string => {
  const at = secretAt(line);
  return at < 0 ? line : `${line.slice(0, at)}${MASK}`;
};

/** Every line with a secret key assigned: its value masked to the end of the line; the rest as it was. */
export function maskSecrets(text: string): string {
  return linesOf(text)
    .map(({ line, eol }) => maskLine(line) + eol)
    .join('');
}

// A line the reader could not parse is quoted whole in its error ("found 'PASSWD s3cret'"), and the
// error reaches the daemon's log: a quoted KEY value / KEY = value with a secret key is masked too.
const QUOTED = /(['"])(\s*(?:[#;]\s*)?(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*|[ \t]+)/g;

/**
 * A quoted secret masked up to the last quote of its kind on the line: a secret may hold that quote
 * itself, so the mask may take more than the secret, never less.
 */
function maskQuoted(line: string): string {
  for (const m of line.matchAll(QUOTED)) {
    if (!SECRET_KEY.test(m[3] as string)) continue;
    const q = m[1] as string;
    const start = (m.index ?? 0) + m[0].length;
    const end = line.lastIndexOf(q);
    const stop = end >= start ? end : line.length;
    if (line.slice(start, stop).trim() === '' || line.slice(start, stop) === MASK) continue;
    return maskQuoted(`${line.slice(0, start)}${MASK}${line.slice(stop)}`);
  }
  return line;
}

const maskValue = (v: unknown): unknown =>
  typeof v === 'string'
    ? maskText(v)
    : Array.isArray(v)
      ? v.map(maskValue)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskValue(x)]))
        : v;

/** A JSON log line (pino's): its strings masked as text, so its escaping (\", \\) hides nothing. */
function maskJsonLine(line: string): string | undefined {
  const t = line.trim();
  if (!(t.startsWith('{') && t.endsWith('}'))) return undefined;
  try {
    return JSON.stringify(maskValue(JSON.parse(t)));
  } catch {
    return undefined;
  }
}

/** Free text (logs, error messages): assignments as in maskSecrets, and secrets in quoted lines. */
export function maskText(text: string): string {
  return linesOf(text)
    .map(({ line, eol }) => (maskJsonLine(line) ?? maskQuoted(maskLine(line))) + eol)
    .join('');
}
