// A Runner that runs every command for real and keeps a list of them with their times: how the
// benchmarks count the processes wanbond starts and the time it spends waiting on each.
import { ExecaRunner, argvOf, type Command, type Runner } from '../exec/runner.js';
import type { Log } from '../log.js';

export interface Counted {
  argv: string[];
  ms: number;
  change: boolean;
}

export class CountingRunner implements Runner {
  readonly commands: Counted[] = [];
  private readonly inner: Runner;
  constructor(log: Log, wanrouter: string) {
    this.inner = new ExecaRunner(log, { wanrouter });
  }

  private async timed<T>(cmd: Command, change: boolean, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.commands.push({ argv: argvOf(cmd), ms: performance.now() - t0, change });
    }
  }

  read(cmd: Command): Promise<string> {
    return this.timed(cmd, false, () => this.inner.read(cmd));
  }
  change(cmd: Command): Promise<void> {
    return this.timed(cmd, true, () => this.inner.change(cmd));
  }
  readFile(p: string): Promise<string | undefined> {
    return this.inner.readFile(p);
  }
}
