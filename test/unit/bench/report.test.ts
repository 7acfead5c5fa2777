import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeResults, renderBenchmarks, type RunResults } from '../../../bench/report.js';

const env = { part: 'env', kernel: '6.1.0-56-amd64', slowdown: 15, spawnMs: 84, quick: false, cpus: 2 };
const iperf = (bps: number, flows = 8) => ({ flows, seconds: 15, cc: 'cubic', bps, retransmits: 3, cpuBusy: 0.5 });
const agg = (n: number, wanbond8: number) => ({
  part: 'aggregation',
  lines: n,
  rateKbit: 1544,
  seconds: 15,
  limitBps: n * 1_476_000,
  alone: { eight: iperf(1_470_000), one: iperf(1_460_000, 1) },
  wanbond: { eight: iperf(wanbond8), one: iperf(n * 1_440_000, 1) },
  recipe: { eight: iperf(wanbond8), one: iperf(n * 1_440_000, 1) },
});
const run = (date: string, results: RunResults['results']): RunResults => ({
  date,
  minutes: 1,
  command: 'npm run bench',
  results: [env, ...results],
});

describe('benchmark report', () => {
  it('judges each goal from the figures: 8 flows at 0.98 of N x one line, 1 flow at 0.95', () => {
    const r = mergeResults(
      undefined,
      run('2026-11-26T14:00:00.000Z', [agg(2, 2 * 1_470_000 * 0.99), agg(8, 8 * 1_470_000 * 0.9)]),
    );
    const md = renderBenchmarks('', r, { sectionsOnly: true });
    assert.match(md, /- Met: 2 lines, 8 flows: 0\.990 of N x one line, goal 0\.98/);
    assert.match(md, /- \*\*Missed\*\*: 8 lines, 8 flows: 0\.900 of N x one line, goal 0\.98/);
    assert.match(md, /- Met: 2 lines, 1 flow: 0\.986 of N x one line, goal 0\.95/);
    assert.match(md, /Run of 2026-11-26 14:00 UTC: `npm run bench`, kernel 6\.1\.0-56-amd64/);
  });

  it('renders between the markers and keeps the prose around them; a part without markers is appended', () => {
    const r = mergeResults(undefined, run('2026-11-26T14:00:00.000Z', [agg(2, 2_900_000)]));
    const md = 'intro\n<!-- bench:aggregation -->\nold table\n<!-- /bench:aggregation -->\nprose after\n';
    const out = renderBenchmarks(md, r);
    assert.ok(out.startsWith('intro\n<!-- bench:aggregation -->\nRun of'));
    assert.ok(out.endsWith('<!-- /bench:aggregation -->\nprose after\n'));
    assert.ok(!out.includes('old table'));
    assert.equal(renderBenchmarks(out, r), out, 'rendering twice changes nothing');
    const appended = renderBenchmarks('intro\n', r);
    assert.match(appended, /^intro\n\n## aggregation\n\n<!-- bench:aggregation -->\n/);
  });

  it('a partial run replaces only its own parts; the others keep their run and date', () => {
    const first = mergeResults(
      undefined,
      run('2026-11-20T10:00:00.000Z', [
        agg(2, 2_900_000),
        { part: 'stress', cycles: 500, seconds: 1500, rateBps: 4e6, stalls: 0, memory: [], linesAfter: ['a'] },
      ]),
    );
    const second = mergeResults(first, run('2026-11-26T14:00:00.000Z', [agg(4, 5_800_000)]));
    assert.equal(second.parts['stress']?.date, '2026-11-20T10:00:00.000Z');
    assert.equal(second.parts['aggregation']?.date, '2026-11-26T14:00:00.000Z');
    assert.deepEqual(
      second.parts['aggregation']?.figures.map((f) => f['lines']),
      [4],
    );
    assert.equal(second.parts['aggregation']?.env?.kernel, '6.1.0-56-amd64');
  });

  it('control: the 8-line goals (own work under 1 s, at most 8 processes) judged with the card start left out', () => {
    const ms = (x: number, p?: number, card?: number) => ({
      ms: x,
      ...(p !== undefined ? { processes: p } : {}),
      ...(card !== undefined ? { cardMs: card } : {}),
    });
    const row = (lines: number, upMs: number, procs: number) => ({
      lines,
      reps: 3,
      up: ms(upMs, procs, 1500),
      again: ms(500, 4),
      plan: ms(300, 3),
      status: ms(300, 3),
      down: ms(900, 8, 600),
      recipeUp: ms(4000, 20, 1500),
      recipeDown: ms(2000, 15, 600),
    });
    const md = renderBenchmarks(
      '',
      mergeResults(
        undefined,
        run('2026-11-26T14:00:00.000Z', [{ part: 'control', nodeStartMs: 2500, rows: [row(8, 2400, 12)] }]),
      ),
      { sectionsOnly: true },
    );
    assert.match(md, /- Met: `up` of 8 lines in under 1 s of its own work: 900 ms in the lab/);
    assert.match(md, /- \*\*Missed\*\*: no more than 8 processes for `up` of 8 lines: 12 \(the hand recipe: 20\)/);
    assert.match(md, /\| 8 \| 2400 ms \| 1500 ms \| 900 ms \| 12 \|/);
  });
});
