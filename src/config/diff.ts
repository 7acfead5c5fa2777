// Unified diff of two texts, for `--dry-run`. Line-based LCS; our files are small. Pure.

function lines(text: string): string[] {
  const parts = text.split(/(?<=\n)/);
  return parts.length === 1 && parts[0] === '' ? [] : parts;
}

type Op = { t: ' ' | '-' | '+'; s: string };

function ops(a: string[], b: string[]): Op[] {
  const n = a.length,
    m = b.length;
  const w = m + 1;
  const dp = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i * w + j] =
        a[i] === b[j]
          ? (dp[(i + 1) * w + j + 1] as number) + 1
          : Math.max(dp[(i + 1) * w + j] as number, dp[i * w + j + 1] as number);
    }
  }
  const out: Op[] = [];
  let i = 0,
    j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ t: ' ', s: a[i] as string });
      i++;
      j++;
    } else if ((dp[(i + 1) * w + j] as number) >= (dp[i * w + j + 1] as number))
      out.push({ t: '-', s: a[i++] as string });
    else out.push({ t: '+', s: b[j++] as string });
  }
  while (i < n) out.push({ t: '-', s: a[i++] as string });
  while (j < m) out.push({ t: '+', s: b[j++] as string });
  return out;
}

function show(s: string): string {
  if (s.endsWith('\n')) return s;
  return `${s}\n\\ No newline at end of file\n`;
}

export function unifiedDiff(file: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const all = ops(lines(before), lines(after));
  const changed = all.map((o, k) => (o.t !== ' ' ? k : -1)).filter((k) => k >= 0);
  let out = `--- ${file}\n+++ ${file}\n`;
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, (changed[k] as number) - context);
    let end = Math.min(all.length, (changed[k] as number) + context + 1);
    while (k + 1 < changed.length && (changed[k + 1] as number) - context <= end) {
      k++;
      end = Math.min(all.length, (changed[k] as number) + context + 1);
    }
    k++;
    let aStart = 1,
      bStart = 1;
    for (let x = 0; x < start; x++) {
      if (all[x]!.t !== '+') aStart++;
      if (all[x]!.t !== '-') bStart++;
    }
    const hunk = all.slice(start, end);
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    out += `@@ -${aLen === 0 ? aStart - 1 : aStart},${aLen} +${bLen === 0 ? bStart - 1 : bStart},${bLen} @@\n`;
    for (const o of hunk) out += o.t + show(o.s);
  }
  return out;
}
