// How much slower the lab's qemu (TCG, no KVM) runs than this machine: the same pure-CPU work timed
// here and in the VM. Lab timings divided by this ratio estimate what a real router would see.
export function cpuWorkMs(): number {
  const t0 = performance.now();
  let acc = 0;
  for (let i = 0; i < 300; i++) {
    const o = JSON.parse(
      JSON.stringify({ i, s: 'x'.repeat(200), a: Array.from({ length: 200 }, (_, k) => k * i) }),
    ) as { a: number[] };
    acc += o.a.reduce((x, y) => x + y, 0) % 7;
  }
  if (acc < 0) throw new Error('unreachable');
  return performance.now() - t0;
}

/** The best of a few runs: the least disturbed by whatever else the machine does. */
export function calibrate(): number {
  cpuWorkMs();
  return Math.min(...Array.from({ length: 7 }, () => cpuWorkMs()));
}
