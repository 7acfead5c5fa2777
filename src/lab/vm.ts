// Boots a Debian kernel (which has sch_teql and can load modules) under qemu with software
// emulation, with the host's root read-only over 9p under a tmpfs overlay, and runs one command
// inside. Downloads and the initramfs are cached; the first run fetches, later runs start in seconds.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { WanbondError } from '../errors.js';
import { newcArchive, type CpioEntry } from './cpio.js';

// The console's escape sequences (ESC [ ... letter, ESC c), built from ESC so no control byte sits in a literal.
const ESC = String.fromCharCode(27);
const ANSI_CSI = new RegExp(`${ESC}\\[[0-9;?]*[a-zA-Z]`, 'g');
const ANSI_RESET = new RegExp(`${ESC}c`, 'g');

const run = promisify(execFile);

export interface VmOptions {
  cacheDir: string;
  /** Shell command run inside, as root, from `cwd`, under bash. */
  command: string;
  cwd: string;
  env?: Record<string, string>;
  timeoutMs: number;
  /** Until the job starts; a boot that takes longer is killed and tried again. */
  bootTimeoutMs?: number;
  memoryMb?: number;
  cpus?: number;
  /** Live console lines (kernel messages and the job's output). */
  onLine?: (line: string) => void;
}

export interface VmResult {
  exitCode: number | null;
  output: string;
  console: string;
  crashed: boolean;
  timedOut: boolean;
  bootMs: number | undefined;
}

const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

async function which(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, cmd);
    try {
      await fs.access(p, fs.constants?.X_OK ?? 1);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** What the lab needs on this machine, and the command that installs what is missing. */
export async function labPrerequisites(): Promise<{ ok: boolean; missing: string[]; install: string }> {
  // ping: iputils (with -O) for the watch daemon's probes; iperf3: doctor's far-end case measures a
  // download with it; the VM runs the host's programs.
  const need: [string, string][] = [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['busybox', 'busybox-static'],
    ['depmod', 'kmod'],
    ['dpkg', 'dpkg'],
    ['apt-get', 'apt'],
    ['ping', 'iputils-ping'],
    ['nft', 'nftables'],
    ['conntrack', 'conntrack'],
    ['iperf3', 'iperf3'],
  ];
  const missing: string[] = [];
  for (const [bin, pkg] of need) if (!(await which(bin))) missing.push(pkg);
  if (missing.length === 0) {
    // Only a static busybox can run as /init before any library is mounted.
    const { stdout } = await run('file', ['-L', (await which('busybox')) as string]).catch(() => ({
      stdout: 'static',
    }));
    if (!/static/.test(stdout)) missing.push('busybox-static');
  }
  const aptPackages = [
    'qemu-system-x86',
    'busybox-static',
    'kmod',
    'iproute2',
    'file',
    'iputils-ping',
    'nftables',
    'conntrack',
    'iperf3',
  ];
  return {
    ok: missing.length === 0,
    missing,
    install: `apt-get update && apt-get install -y --no-install-recommends ${aptPackages.join(' ')}`,
  };
}

/** apt-get install of what the lab lacks, as root, with apt's own progress passed on line by line. */
export async function installLabPackages(missing: string[], say: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0 || !(await which('apt-get'))) return;
  const pkgs = [...new Set([...missing, 'qemu-system-x86', 'busybox-static', 'kmod', 'iproute2', 'file'])];
  say(
    `lab: installing ${pkgs.join(' ')} with apt-get ` +
      `(the qemu lab boots Debian's kernel, which has sch_teql, under qemu with a static busybox as its init)`,
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-q'],
    ['install', '-y', '-q', '--no-install-recommends', ...pkgs],
  ]) {
    await new Promise<void>((resolve) => {
      const child = spawn('apt-get', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let partial = '';
      const onData = (d: Buffer) => {
        partial += d.toString();
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.trim() !== '') say(`lab: apt-get: ${l}`);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('close', (code) => {
        if (code !== 0) say(`lab: apt-get ${args[0]} exited ${code}`);
        resolve();
      });
      child.on('error', (e) => {
        say(`lab: apt-get: ${e.message}`);
        resolve();
      });
    });
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** Downloads and unpacks Debian's current amd64 kernel into the cache (once). */
export async function ensureKernel(
  cacheDir: string,
  log: (s: string) => void = () => undefined,
): Promise<{ vmlinuz: string; modulesDir: string; version: string }> {
  const kdir = path.join(cacheDir, 'kernel');
  const stamp = path.join(kdir, 'version');
  if (!(await exists(stamp))) {
    await fs.rm(kdir, { recursive: true, force: true });
    await fs.mkdir(kdir, { recursive: true });
    const { stdout } = await run('apt-cache', ['depends', 'linux-image-amd64']);
    const pkg = /Depends:\s*(linux-image-[0-9][^\s]*-amd64)\b/.exec(stdout)?.[1];
    if (!pkg)
      throw new WanbondError(
        'lab: cannot find the Debian kernel package behind linux-image-amd64',
        'run apt-get update, then try again',
      );
    log(`lab: downloading ${pkg} (first run only)`);
    await run('apt-get', ['download', pkg], { cwd: kdir, maxBuffer: 1 << 24 });
    const deb = (await fs.readdir(kdir)).find((f) => f.endsWith('.deb'));
    if (!deb)
      throw new WanbondError(
        `lab: apt-get download ${pkg} produced no .deb`,
        'check apt sources and network access to Debian mirrors',
      );
    await run('dpkg', ['-x', path.join(kdir, deb), path.join(kdir, 'root')], { maxBuffer: 1 << 24 });
    await fs.rm(path.join(kdir, deb));
    const version = (await fs.readdir(path.join(kdir, 'root', 'lib', 'modules')))[0] as string;
    await run('depmod', ['-b', path.join(kdir, 'root'), version]);
    await fs.writeFile(stamp, `${version}\n`);
  }
  const version = (await fs.readFile(stamp, 'utf8')).trim();
  return {
    vmlinuz: path.join(kdir, 'root', 'boot', `vmlinuz-${version}`),
    modulesDir: path.join(kdir, 'root', 'lib', 'modules'),
    version,
  };
}

/** The modules the initramfs loads before it can mount the host, in dependency order. */
async function bootModules(kernelRoot: string, version: string): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const m of BOOT_MODULES) {
    const { stdout } = await run('modprobe', ['-d', kernelRoot, '-S', version, '--show-depends', m]);
    for (const line of stdout.split('\n')) {
      const p = /^insmod (\S+)/.exec(line)?.[1];
      if (p && !seen.has(p)) {
        seen.add(p);
        out.push(p);
      }
    }
  }
  return out;
}

const INIT =
  `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in /mods/*.ko; do insmod "$m" || echo "lab-init: insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host ` +
  `|| { echo "lab-init: cannot mount the host root"; echo b > /proc/sysrq-trigger; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 labio /io ` +
  `|| { echo "lab-init: cannot mount the io share"; echo b > /proc/sysrq-trigger; }
mount -t tmpfs -o size=75% tmpfs /rw; mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /newroot ` +
  `|| { echo "lab-init: overlay failed"; echo b > /proc/sysrq-trigger; }
mkdir -p /newroot/lib/modules /newroot/io
mount --bind "/host$(cat /io/modules-dir)" /newroot/lib/modules
mount --move /io /newroot/io
mount --move /proc /newroot/proc; mount --move /sys /newroot/sys; mount --move /dev /newroot/dev
exec switch_root /newroot /bin/sh /io/job.sh
`;

async function ensureInitramfs(cacheDir: string, version: string): Promise<string> {
  const out = path.join(cacheDir, `initramfs-${version}.cpio.gz`);
  if (await exists(out)) return out;
  const busybox = await fs.readFile((await which('busybox')) as string);
  const entries: CpioEntry[] = [
    ...['bin', 'mods', 'proc', 'sys', 'dev', 'host', 'io', 'rw', 'newroot'].map((d) => ({ name: d, mode: 0o40755 })),
    { name: 'bin/busybox', mode: 0o100755, data: busybox },
    { name: 'init', mode: 0o100755, data: Buffer.from(INIT) },
  ];
  const mods = await bootModules(path.join(cacheDir, 'kernel', 'root'), version);
  for (const [i, m] of mods.entries())
    entries.push({
      name: `mods/${String(i).padStart(2, '0')}-${path.basename(m)}`,
      mode: 0o100644,
      data: await fs.readFile(m),
    });
  const tmp = `${out}.tmp`;
  await fs.writeFile(tmp, gzipSync(newcArchive(entries), { level: 1 }));
  await fs.rename(tmp, out);
  return out;
}

function jobScript(o: VmOptions): string {
  const env = Object.entries(o.env ?? {})
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join('\n');
  const cwd = o.cwd.replace(/'/g, `'\\''`);
  // /tmp and /run get fresh tmpfs; a project that lives under one of them (a CI clone in /tmp) is
  // carried over with a bind mount, at the same path.
  return `set +e
mkdir -p /mnt/project && mount --bind '${cwd}' /mnt/project
mount -t tmpfs tmpfs /tmp; mount -t tmpfs tmpfs /run; mkdir -p /run/netns /var/run
if [ ! -d '${cwd}' ]; then mkdir -p '${cwd}' && mount --bind /mnt/project '${cwd}'; fi
ln -sf /proc/self/fd /dev/fd 2>/dev/null
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
ip link set lo up
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 WANBOND_LAB_VM=1
${env}
cd '${cwd}'
echo "lab-job: start $(cat /proc/uptime)"
/bin/bash -c "$(cat /io/command)" > /io/output 2>&1 < /dev/null &
pid=$!
tail -n +1 -f /io/output --pid=$pid 2>/dev/null
wait $pid
echo $? > /io/exit-code
sync
echo "lab-job: end"
echo b > /proc/sysrq-trigger
`;
}

export async function runInVm(o: VmOptions): Promise<VmResult> {
  const kernel = await ensureKernel(o.cacheDir, (s) => o.onLine?.(s));
  const initrd = await ensureInitramfs(o.cacheDir, kernel.version);
  // Under TCG a boot now and then hangs before init runs (seen here: the console stopped after SeaBIOS for
  // 14 minutes). A boot that has not started the job within bootTimeoutMs is killed and tried again.
  const attempts = 3;
  for (let n = 1; ; n++) {
    const r = await bootOnce(o, kernel, initrd);
    if (!r.bootHung || n === attempts) return r.result;
    o.onLine?.(
      `lab: the VM did not start the job within ${(o.bootTimeoutMs ?? 120_000) / 1000} s; ` +
        `booting again (attempt ${n + 1} of ${attempts})`,
    );
  }
}

async function bootOnce(
  o: VmOptions,
  kernel: { vmlinuz: string; modulesDir: string },
  initrd: string,
): Promise<{ result: VmResult; bootHung: boolean }> {
  const io = await fs.mkdtemp(path.join(os.tmpdir(), 'wanbond-vm-'));
  try {
    await fs.writeFile(path.join(io, 'job.sh'), jobScript(o));
    await fs.writeFile(path.join(io, 'command'), o.command);
    await fs.writeFile(path.join(io, 'modules-dir'), kernel.modulesDir);
    await fs.writeFile(path.join(io, 'output'), '');
    const args = [
      '-accel',
      'tcg',
      '-cpu',
      'max',
      '-smp',
      String(o.cpus ?? 2),
      '-m',
      String(o.memoryMb ?? 1024),
      '-nographic',
      '-no-reboot',
      '-net',
      'none',
      '-kernel',
      kernel.vmlinuz,
      '-initrd',
      initrd,
      '-append',
      'console=ttyS0 quiet loglevel=3 panic=1 oops=panic',
      '-virtfs',
      'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
      '-virtfs',
      `local,path=${io},mount_tag=labio,security_model=none,multidevs=remap`,
    ];
    const started = Date.now();
    let bootMs: number | undefined;
    let consoleText = '';
    let timedOut = false;
    let bootHung = false;
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const logFile = createWriteStream(path.join(o.cacheDir, 'last-console.log'));
    let partial = '';
    // Escape sequences can be split across chunks, so clean whole lines only.
    const clean = (l: string) =>
      l
        .replace(/\r/g, '')
        .replace(ANSI_CSI, '')
        .replace(ANSI_RESET, '')
        .replace(/^\[\?7l/, '');
    const onData = (d: Buffer) => {
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const raw of lines) {
        const l = clean(raw);
        consoleText += `${l}\n`;
        logFile.write(`${l}\n`);
        if (bootMs === undefined && l.includes('lab-job: start')) bootMs = Date.now() - started;
        o.onLine?.(l);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    const bootTimer = setTimeout(() => {
      if (bootMs === undefined) {
        bootHung = true;
        child.kill('SIGKILL');
      }
    }, o.bootTimeoutMs ?? 120_000);
    await new Promise<void>((resolve) => child.on('close', () => resolve()));
    clearTimeout(timer);
    clearTimeout(bootTimer);
    logFile.end();
    const codeText = await fs.readFile(path.join(io, 'exit-code'), 'utf8').catch(() => undefined);
    const output = await fs.readFile(path.join(io, 'output'), 'utf8').catch(() => '');
    const exitCode = codeText === undefined ? null : Number(codeText.trim());
    return {
      result: {
        exitCode,
        output,
        console: consoleText,
        crashed: exitCode === null && !timedOut,
        timedOut: timedOut || bootHung,
        bootMs,
      },
      bootHung,
    };
  } finally {
    await fs.rm(io, { recursive: true, force: true });
  }
}
