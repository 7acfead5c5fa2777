// Which upstream kernel a running kernel is, and whether it carries the two TEQL fixes that matter
// (../shared/domain/wanpipe.md 5.2). Distributions hide the upstream version: Debian's release is
// 6.1.0-18-amd64 for 6.1.76 (named in /proc/version), Ubuntu's 5.15.0-91-generic for 5.15.131
// (in /proc/version_signature); a vendor kernel (RHEL's .el9) backports fixes into an old number, so
// its number proves nothing. Pure.

export type Version = readonly [number, number, number];

export interface Upstream {
  version: Version;
  from: string;
}

const parse = (s: string): Version | undefined => {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(s);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
};

export const formatVersion = (v: Version): string => v.join('.');

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The upstream version this kernel is built from, or undefined when its number does not tell. */
export function upstreamVersion(
  release: string | undefined,
  procVersion?: string,
  signature?: string,
): Upstream | undefined {
  // The last "Debian x.y.z": the compiler's own ("gcc-12 (Debian 12.2.0-14)") comes first.
  const debian = [...(procVersion ?? '').matchAll(/\bDebian (\d+\.\d+\.\d+)/g)].at(-1);
  if (debian) return { version: parse(debian[1] as string) as Version, from: `Debian ${debian[1]}` };
  const ubuntu = /^Ubuntu \S+ (\d+\.\d+\.\d+)\s*$/.exec((signature ?? '').trim());
  if (ubuntu) return { version: parse(ubuntu[1] as string) as Version, from: `Ubuntu, upstream ${ubuntu[1]}` };
  if (release === undefined) return undefined;
  // Vendor kernels carry backports under an old number; an x.y.0 with a suffix (Debian's 6.1.0-18-amd64,
  // Ubuntu's 5.15.0-91-generic) names a series, not a release.
  if (/\.el\d|\.amzn|-azure|-aws|-gcp|^\d+\.\d+\.0-/.test(release)) return undefined;
  const v = parse(release);
  return v ? { version: v, from: release } : undefined;
}

export type FixStatus = 'fixed' | 'affected' | 'unknown';

interface KnownFix {
  /** First mainline release with the fix; undefined when only stable series are known. */
  mainline: Version | undefined;
  /** Per stable series "major.minor", the first release of it with the fix. */
  stable: Record<string, number>;
}

/**
 * `tc qdisc add dev teql0 root teql0` oopses in teql_destroy(): introduced by 87b60cfacf9f, fixed by
 * 1ffbc7ea9160 "net: sched: sch_teql: fix null-pointer dereference" (April 2021, in 5.12). Stable
 * releases that carry it, from the stable trees' shortlogs: 4.4.267, 4.9.267, 4.19.187, 5.4.112.
 */
export const TEQL_OOPS_FIX: KnownFix = {
  mainline: [5, 12, 0],
  stable: { '4.4': 267, '4.9': 267, '4.19': 187, '5.4': 112 },
};

/**
 * The slave list raced by teql_master_xmit() against slave adds and removes (a use-after-free):
 * fixed by "net/sched: sch_teql: Introduce slaves_lock" (2026). Debian's 6.1.180 and later carry it
 * (docs/ENGINE.md); which mainline and other stable releases do is not known to us.
 */
export const TEQL_RACE_FIX: KnownFix = { mainline: undefined, stable: { '6.1': 180 } };

export function fixStatus(up: Upstream | undefined, fix: KnownFix): FixStatus {
  if (!up) return 'unknown';
  const v = up.version;
  if (fix.mainline && compareVersions(v, fix.mainline) >= 0) return 'fixed';
  const first = fix.stable[`${v[0]}.${v[1]}`];
  if (first !== undefined) return v[2] >= first ? 'fixed' : 'affected';
  return 'unknown';
}
