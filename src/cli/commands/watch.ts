// `wanbond watch`: the daemon in the foreground (systemd supervises it; logs are JSON on stderr).
import type { Command } from 'commander';
import { ChildRunner } from '../../exec/child-runner.js';
import { ExecaRunner, type Runner } from '../../exec/runner.js';
import { makeLogger, type Log } from '../../log.js';
import { WatchDaemon } from '../../watch/daemon.js';
import { buildContext, type EngineOpts } from '../context.js';
import type { Io } from '../io.js';

export function registerWatch(
  program: Command,
  io: Io,
  setExit: (c: number) => void,
  deps: { runner?: Runner; log?: Log } = {},
): void {
  program
    .command('watch')
    .description(
      'daemon: converge like up, then take failed lines out of the ring and put them back when healthy ' +
        '(SIGHUP reloads, SIGTERM stops and leaves the bond up)',
    )
    .option('--no-config-fix', 'do not edit wanpipe files at start')
    .option('--no-restart', 'do not restart devices whose driver runs an older configuration')
    .action(async (_o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<EngineOpts & { configFix?: boolean; restart?: boolean }>();
      const log = deps.log ?? makeLogger('watch');
      // One process per command and the lock taken per change, as before the batch children: to compare
      // them (npm run bench) and to fall back on should an iproute2 misread its batch input.
      const processes = process.env['WANBOND_WATCH_PROCESSES'] === '1';
      const inner = deps.runner ?? new ExecaRunner(log, g.wanrouter ? { wanrouter: g.wanrouter } : {});
      const children = deps.runner || processes ? undefined : new ChildRunner(inner, log);
      const runner = children ?? inner;
      const build = async () => {
        const c = await buildContext(g, log, runner);
        if (g.configFix === false) c.desired.configFix = [];
        if (g.restart === false) c.restart = false;
        return c;
      };
      const daemon = new WatchDaemon({
        build,
        io,
        log,
        holdLock: !processes,
        ...(children ? { closeRunner: () => children.close(), warmRunner: () => children.warm() } : {}),
      });
      setExit(await daemon.run());
    });
}
