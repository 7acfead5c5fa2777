// Secrets out of files that leave the router in a support bundle: PPP's PAP/CHAP credentials
// (wanpipe's USERID and PASSWD, per-interface keys of wanconfig's chan_conftab), anything named a
// secret or a password, SNMP communities. The line stays, with its key, so the file still reads
// right; only the value goes. Works on wanpipe files (KEY = value), wanrouter.rc and interfaces/
// files (KEY=value, shell), and wanbond's settings. Pure.

export const MASK = '********';

/** Keys whose value is a credential. */
const SECRET_KEY = /PASSW(OR)?D|PASSPHRASE|SECRET|COMMUNITY|^USER(ID|NAME)?$|^(PAP|CHAP)_/i;

// A secret commented out (an old password kept for later) is still a secret, and so is one on a
// line that lost its '=' (the file that does not parse is the one sent to support).
const ASSIGNMENT = /^(\s*(?:[#;]\s*)?(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*|[ \t]+)(.*?)(\r?)$/;

/** Every line `KEY = value` / `KEY=value` with a secret key, value masked; the rest as it was. */
export function maskSecrets(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const m = ASSIGNMENT.exec(line);
      if (!m || !SECRET_KEY.test(m[2] as string) || (m[4] as string) === '') return line;
      // The whole rest goes, a trailing comment too: a value may hold the comment character itself.
      return `${m[1]}${m[2]}${m[3]}${MASK}${m[5]}`;
    })
    .join('\n');
}

// A line the reader could not parse is quoted whole in its error ("found 'PASSWD s3cret'"), and the
// error reaches the daemon's log: a quoted KEY value / KEY = value with a secret key is masked too.
const QUOTED = /(['"])(\s*(?:[#;]\s*)?(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=?\s*)([^'"\\\n]*)/g;

/** Free text (logs, error messages): assignments as in maskSecrets, and secrets in quoted lines. */
export function maskText(text: string): string {
  return maskSecrets(text).replace(QUOTED, (all, q: string, pre: string, key: string, eq: string, value: string) =>
    SECRET_KEY.test(key) && value.trim() !== '' && value !== MASK
      ? `${q}${pre}${key}${eq === '' ? ' ' : eq}${MASK}`
      : all,
  );
}
