// Secrets out of files that leave the router in a support bundle: PPP's PAP/CHAP credentials
// (wanpipe's USERID and PASSWD, per-interface keys of wanconfig's chan_conftab), anything named a
// secret or a password, SNMP communities. The line stays, with its key, so the file still reads
// right; only the value goes. Works on wanpipe files (KEY = value), wanrouter.rc and interfaces/
// files (KEY=value, shell), and wanbond's settings. Pure.

export const MASK = '********';

/** Keys whose value is a credential. */
const SECRET_KEY = /PASSW(OR)?D|PASSPHRASE|SECRET|COMMUNITY|^USER(ID|NAME)?$|^(PAP|CHAP)_/i;

// A secret commented out (an old password kept for later) is still a secret.
const ASSIGNMENT = /^(\s*(?:[#;]\s*)?(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)(.*?)(\r?)$/;

/** Every line `KEY = value` / `KEY=value` with a secret key, value masked; the rest as it was. */
export function maskSecrets(text: string): string {
  return text.split('\n').map((line) => {
    const m = ASSIGNMENT.exec(line);
    if (!m || !SECRET_KEY.test(m[2] as string) || (m[4] as string) === '') return line;
    // The whole rest goes, a trailing comment too: a value may hold the comment character itself.
    return `${m[1]}${m[2]}${m[3]}${MASK}${m[5]}`;
  }).join('\n');
}
