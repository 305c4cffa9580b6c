/**
 * Property tests of the keepalive solver: for many generated paths, loss
 * tolerances and detection targets, the recommendation keeps the promises of
 * src/recommend/keepalive-solver.ts and of the README's `kad recommend`
 * section. Concrete values (350 s → 280 / 30 / 3) are checked end to end in
 * recommend-cli.test.ts; here no expected number is written down.
 *
 * A failure names the seed and the input; KAD_SOLVER_SEED=N explores other
 * inputs, KAD_SOLVER_CASES=N more of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LINUX_DEFAULT,
  niceFloor,
  probesFor,
  slackFor,
  solveKeepalive,
  type KeepaliveSolution,
  type SolverInput,
} from '../src/recommend/keepalive-solver.js';
import { RecommendInputError } from '../src/recommend/recommend-input-error.js';
import { redisKeepaliveFor, redisIntervalFor } from '../src/recommend/redis-keepalive.js';
import { Rng, seedFrom } from './helpers/rng.js';

const SEED = seedFrom('KAD_SOLVER_SEED', 0x50_1e_e5);
const CASES = Number(process.env.KAD_SOLVER_CASES ?? 20_000);
/** TCP_KEEPCNT's maximum in include/net/tcp.h, so at most 126 losses can be tolerated. */
const MAX_KEEPCNT = 127;

// ------------------------------------------------------------------ inputs

/** Path timeouts as they reach the solver: presets, --idle-timeout (fractions too), bases inferred from captures. */
function pathTimeout(rng: Rng): number {
  switch (rng.int(6)) {
    case 0:
      return rng.between(1, 60);
    case 1:
      return rng.between(60, 1200);
    case 2:
      return rng.between(1200, 500_000);
    case 3:
      return rng.between(1, 4000) + rng.between(1, 999) / 1000;
    case 4:
      // Where 5 % of the timeout crosses a whole second, the slack steps up.
      return 20 * rng.between(1, 10) + rng.pick([-0.01, 0, 0.01]);
    default:
      // Where the bound starts to allow more than Linux's own 7200 s.
      return LINUX_DEFAULT.timeS + rng.between(-100, 500);
  }
}

function losses(rng: Rng): number {
  return rng.next() < 0.85 ? rng.int(6) : rng.int(MAX_KEEPCNT);
}

function detectWithin(rng: Rng, T: number, m: number): number | null {
  switch (rng.int(5)) {
    case 0:
    case 1:
      return null;
    case 2:
      // Around the fastest possible detection, 1 s idle + KEEPCNT probes 1 s apart.
      return Math.max(1, 1 + Math.max(2, m + 1) + rng.between(-2, 3));
    case 3:
      return rng.between(1, Math.max(2, Math.ceil(2 * T)));
    default:
      return rng.between(1, 3000) + rng.pick([0, 0.5]);
  }
}

function inputs(seed: number, n = CASES): SolverInput[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const T = pathTimeout(rng);
    const m = losses(rng);
    return { pathTimeoutS: T, toleratedLosses: m, detectWithinS: detectWithin(rng, T, m) };
  });
}

function solve(input: SolverInput): KeepaliveSolution | RecommendInputError {
  try {
    return solveKeepalive(input);
  } catch (e) {
    if (e instanceof RecommendInputError) return e;
    throw e;
  }
}

const show = (input: SolverInput): string => `T=${input.pathTimeoutS} m=${input.toleratedLosses} D=${input.detectWithinS}`;

/**
 * Runs `prop` on every generated input the solver accepts, and fails with the
 * first few inputs it returned a problem for.
 */
function forAll(prop: (input: SolverInput, s: KeepaliveSolution) => string | null): void {
  const problems: string[] = [];
  let solved = 0;
  for (const input of inputs(SEED)) {
    const s = solve(input);
    if (s instanceof RecommendInputError) continue;
    solved++;
    const problem = prop(input, s);
    if (problem && problems.push(`${show(input)} → ${JSON.stringify(s.keepalive)} (${s.limitedBy}, slack ${s.slackS}): ${problem}`) >= 5)
      break;
  }
  assert.deepEqual(problems, [], `seed ${SEED}`);
  // A generator that stopped producing solvable inputs would make every property pass.
  assert.ok(solved > CASES / 2, `only ${solved} of ${CASES} generated inputs were solvable (seed ${SEED})`);
}

/** The next value above `t` that niceFloor keeps as it is: one step up on the grid the idle is rounded to. */
function nextNice(t: number): number {
  let v = t + 1;
  // Bounded, so a broken niceFloor fails the property instead of hanging it.
  while (niceFloor(v) !== v && v < t + 3600) v++;
  return v;
}

// ------------------------------------------------------------------ the sizing rule

test('every probe up to the tolerated losses is sent before the path forgets the flow', () => {
  forAll(({ pathTimeoutS: T, toleratedLosses: m }, s) => {
    const { timeS, intervalS } = s.keepalive;
    // Probe k goes out KEEPIDLE + k·KEEPINTVL after the last received segment;
    // with k lost, probe k+1 must still arrive: all of 0…m must beat T − slack.
    for (let k = 0; k <= m; k++) {
      if (timeS + k * intervalS + s.slackS > T) return `probe ${k + 1} at ${timeS + k * intervalS} s + ${s.slackS} s slack is past ${T} s`;
    }
    if (s.lastNeededProbeS !== timeS + m * intervalS) return `lastNeededProbeS ${s.lastNeededProbeS} is not when probe ${m + 1} goes out`;
    return null;
  });
});

test('timers are whole seconds Linux accepts, the idle never above its 7200 s default', () => {
  forAll((_input, s) => {
    const { timeS, intervalS, probes } = s.keepalive;
    for (const [name, v, max] of [
      ['KEEPIDLE', timeS, LINUX_DEFAULT.timeS],
      ['KEEPINTVL', intervalS, LINUX_DEFAULT.intervalS],
      ['KEEPCNT', probes, MAX_KEEPCNT],
    ] as const) {
      if (!Number.isInteger(v) || v < 1 || v > max) return `${name} ${v} is not a whole number of 1…${max}`;
    }
    return null;
  });
});

test('KEEPCNT = max(2, m+1) and TCP_USER_TIMEOUT = KEEPIDLE + KEEPCNT·KEEPINTVL', () => {
  forAll(({ toleratedLosses: m }, s) => {
    const { timeS, intervalS, probes } = s.keepalive;
    // m+1 probes: the (m+1)-th is the first that may be answered; RFC 1122 forbids giving up after one.
    if (probes !== Math.max(2, m + 1)) return `KEEPCNT ${probes} for ${m} tolerated losses`;
    if (s.detectionS !== timeS + probes * intervalS) return `detection ${s.detectionS} s is not KEEPIDLE + KEEPCNT·KEEPINTVL`;
    if (s.userTimeoutMs !== s.detectionS * 1000) return `TCP_USER_TIMEOUT ${s.userTimeoutMs} ms differs from the detection time`;
    return null;
  });
});

test('the slack is 5 % of the path timeout in whole seconds, at least 1 s and at most 10 s', () => {
  forAll(({ pathTimeoutS: T }, s) => {
    const e = s.slackS;
    if (!Number.isInteger(e) || e < 1 || e > 10) return `slack ${e} s is not a whole number of 1…10`;
    if (e < Math.min(10, 0.05 * T)) return `slack ${e} s is less than 5 % of ${T} s`;
    // A whole second more than 5 % (or than the 1 s floor) only wastes idle time.
    if (e - 1 >= Math.max(1, 0.05 * T)) return `slack ${e} s is a second more than it needs`;
    return null;
  });
});

test('the idle is as long as the binding bound allows, up to rounding to the next operator-friendly value', () => {
  forAll(({ pathTimeoutS: T, toleratedLosses: m, detectWithinS: D }, s) => {
    const { timeS, intervalS, probes } = s.keepalive;
    const up = nextNice(timeS);
    const pathAllows = up + m * intervalS + s.slackS <= T;
    const detectionAllows = D === null || up + probes * intervalS <= D;
    if (s.limitedBy === 'kernel-default')
      return timeS === LINUX_DEFAULT.timeS ? null : `limited by the kernel default but KEEPIDLE is ${timeS}`;
    if (timeS === LINUX_DEFAULT.timeS) return `KEEPIDLE is the kernel default but limitedBy says ${s.limitedBy}`;
    if (s.limitedBy === 'path-timeout' && pathAllows) return `KEEPIDLE ${up} would still fit the ${T} s path (limited by path-timeout)`;
    if (s.limitedBy === 'detection-target' && detectionAllows)
      return `KEEPIDLE ${up} would still detect within ${D} s (limited by detection-target)`;
    if (s.limitedBy === 'detection-target' && D === null) return 'limited by a detection target that was not given';
    return null;
  });
});

test('KEEPINTVL is about a tenth of the window, so the retries land well inside it', () => {
  forAll(({ pathTimeoutS: T, detectWithinS: D }, s) => {
    const span = Math.min(Math.floor(T - s.slackS), D ?? Infinity);
    const intervalS = s.keepalive.intervalS;
    if (intervalS > Math.max(1, span / 10 + 0.5)) return `KEEPINTVL ${intervalS} s is more than a tenth of the ${span} s window`;
    return null;
  });
});

// ------------------------------------------------------------------ when no setting fits

test('a path is refused exactly when no whole-second setting fits it, and the advice given then works', () => {
  const problems: string[] = [];
  for (const input of inputs(SEED ^ 0x7e57)) {
    const { pathTimeoutS: T, toleratedLosses: m } = input;
    // The smallest setting there is: KEEPIDLE 1 s and m retries 1 s apart.
    const fits = 1 + m * 1 + slackFor(T) <= T;
    const s = solve({ ...input, detectWithinS: null });
    if (fits && s instanceof RecommendInputError)
      problems.push(`${show(input)}: 1 + ${m}·1 + ${slackFor(T)} ≤ ${T} fits, refused: ${s.message}`);
    if (fits || !(s instanceof RecommendInputError)) {
      if (!fits) problems.push(`${show(input)}: nothing fits, yet got ${JSON.stringify(s)}`);
      continue;
    }
    if (!/too short for TCP keepalive/.test(s.message))
      problems.push(`${show(input)}: refusal does not say the timeout is too short: ${s.message}`);
    const advice = /use --tolerate-losses (\d+) /.exec(s.message);
    if (advice) {
      const n = Number(advice[1]);
      if (solve({ ...input, toleratedLosses: n, detectWithinS: null }) instanceof RecommendInputError)
        problems.push(`${show(input)}: the advised --tolerate-losses ${n} is refused too`);
      if (!(solve({ ...input, toleratedLosses: n + 1, detectWithinS: null }) instanceof RecommendInputError))
        problems.push(`${show(input)}: advised ${n} losses, but ${n + 1} fit as well`);
    } else if (!(solve({ ...input, toleratedLosses: 0, detectWithinS: null }) instanceof RecommendInputError)) {
      problems.push(`${show(input)}: says keepalive cannot serve this path, but 0 tolerated losses fit: ${s.message}`);
    }
    if (problems.length >= 5) break;
  }
  assert.deepEqual(problems, [], `seed ${SEED ^ 0x7e57}`);
});

test('--detect-within is met whenever any setting can meet it; otherwise the refusal gives the fastest possible', () => {
  const problems: string[] = [];
  let met = 0;
  let refused = 0;
  for (const input of inputs(SEED ^ 0xde7)) {
    const D = input.detectWithinS;
    if (D === null || solve({ ...input, detectWithinS: null }) instanceof RecommendInputError) continue;
    const probes = Math.max(2, input.toleratedLosses + 1);
    // Fastest detection: KEEPIDLE 1 s, then KEEPCNT probes 1 s apart.
    const fastest = 1 + probes;
    const s = solve(input);
    if (s instanceof RecommendInputError) {
      refused++;
      if (D >= fastest) problems.push(`${show(input)}: ${fastest} s detection is possible, refused: ${s.message}`);
      else if (!s.message.includes(`fastest is KEEPIDLE 1 s + ${probes} probes × 1 s = ${fastest} s`))
        problems.push(`${show(input)}: refusal does not give the fastest ${fastest} s: ${s.message}`);
    } else {
      met++;
      if (D < fastest) problems.push(`${show(input)}: accepted a target below the fastest possible ${fastest} s`);
      if (s.detectionS > D) problems.push(`${show(input)}: detects after ${s.detectionS} s, target ${D} s`);
    }
    if (problems.length >= 5) break;
  }
  assert.deepEqual(problems, [], `seed ${SEED ^ 0xde7}`);
  assert.ok(met > 1000 && refused > 100, `the generator must reach both sides: ${met} met, ${refused} refused`);
});

test('invalid inputs are refused with an error naming the option', () => {
  const rng = new Rng(SEED ^ 0xbad);
  const badDuration = (): number => rng.pick([0, -0, -1, -rng.between(1, 1e6) / 7, NaN, Infinity, -Infinity]);
  const badCount = (): number =>
    rng.pick([-1, -rng.between(2, 1000), MAX_KEEPCNT, MAX_KEEPCNT + rng.between(0, 1000), rng.between(0, 125) + 0.5, NaN, Infinity]);
  const refusal = (input: SolverInput): string => {
    const s = solve(input);
    return s instanceof RecommendInputError ? s.message : `accepted: ${JSON.stringify(s.keepalive)}`;
  };
  for (let i = 0; i < 2000; i++) {
    const good = {
      pathTimeoutS: rng.between(600, 500_000),
      toleratedLosses: rng.int(6),
      detectWithinS: rng.pick([null, rng.between(100, 10_000)]),
    };
    const T = badDuration();
    assert.match(refusal({ ...good, pathTimeoutS: T }), /^idle timeout must be a positive duration/, `T=${T}`);
    const m = badCount();
    assert.match(refusal({ ...good, toleratedLosses: m }), /^--tolerate-losses must be an integer from 0 to 126/, `m=${m}`);
    const D = badDuration();
    assert.match(refusal({ ...good, detectWithinS: D }), /^--detect-within must be a positive duration/, `D=${D}`);
  }
  // The edges of the accepted range are accepted.
  assert.equal(
    solveKeepalive({ pathTimeoutS: 500_000, toleratedLosses: MAX_KEEPCNT - 1, detectWithinS: null }).keepalive.probes,
    MAX_KEEPCNT,
  );
  assert.equal(solveKeepalive({ pathTimeoutS: 500_000, toleratedLosses: 0, detectWithinS: null }).keepalive.probes, 2);
});

// ------------------------------------------------------------------ monotonicity

// Whole seconds only: see the todo below for fractions.
test('more room never makes a path unservable: a timeout longer by whole seconds, fewer losses or a later detection target', () => {
  const rng = new Rng(SEED ^ 0x1105);
  const problems: string[] = [];
  for (const input of inputs(SEED ^ 0x1105)) {
    if (solve(input) instanceof RecommendInputError) continue;
    const roomier: SolverInput[] = [
      { ...input, pathTimeoutS: input.pathTimeoutS + rng.pick([1, rng.between(1, 5000)]) },
      { ...input, toleratedLosses: rng.int(input.toleratedLosses + 1) },
      { ...input, detectWithinS: input.detectWithinS === null ? null : input.detectWithinS + rng.between(1, 1000) },
      { ...input, detectWithinS: null },
    ];
    for (const r of roomier) {
      const s = solve(r);
      if (s instanceof RecommendInputError) problems.push(`${show(input)} is served, ${show(r)} is refused: ${s.message}`);
    }
    if (problems.length >= 5) break;
  }
  assert.deepEqual(problems, [], `seed ${SEED ^ 0x1105}`);
});

// Not promised by the solver. The interval steps up with the path (a tenth of
// it, on a ladder) and the slack by whole seconds, and either can take more
// from the idle than the longer path gave: 15 s / 2 losses → KEEPIDLE 12 s,
// 16 s → 11 s; 304 s / 1 loss → 270 s, 305 s → 260 s. A fraction of a second
// past a multiple of 20 s adds a whole second of slack: 20 s / 18 losses is
// served, 20.01 s refused. Kept as a todo so the decision stays visible.
test(
  'a longer path timeout never yields a shorter idle, nor refuses what a shorter one served',
  { todo: 'the solver does not promise this; see the comment above' },
  () => {
    const problems: string[] = [];
    const timeouts = Array.from({ length: 10_000 }, (_, i) => 2 + i).flatMap((T) => (T % 20 === 0 ? [T, T + 0.01] : [T]));
    for (const m of [0, 1, 2, 3, 5, 18]) {
      let prev: { T: number; s: KeepaliveSolution } | null = null;
      const before = problems.length;
      for (const T of timeouts) {
        const s = solve({ pathTimeoutS: T, toleratedLosses: m, detectWithinS: null });
        if (s instanceof RecommendInputError) {
          if (prev) problems.push(`m=${m}: ${prev.T} s is served, ${T} s refused`);
          continue;
        }
        if (prev && s.keepalive.timeS < prev.s.keepalive.timeS)
          problems.push(`m=${m}: ${prev.T} s → KEEPIDLE ${prev.s.keepalive.timeS} s, ${T} s → ${s.keepalive.timeS} s`);
        prev = { T, s };
        if (problems.length - before >= 3) break;
      }
    }
    assert.deepEqual(problems, []);
  },
);

// ------------------------------------------------------------------ the pieces

test('niceFloor rounds down, never below the previous nice value, and keeps nice values as they are', () => {
  const rng = new Rng(SEED ^ 0x21ce);
  let prev = { x: 0, nice: niceFloor(0) };
  for (let i = 0; i < CASES; i++) {
    const x = prev.x + rng.pick([0, 0.25, 1, rng.between(1, 90)]);
    const nice = niceFloor(x);
    assert.ok(nice <= x, `niceFloor(${x}) = ${nice} rounds up`);
    // The idle is what saves probes: rounding may cost it a tenth, or 5 s on short ones, no more.
    assert.ok(x - nice <= Math.max(5, 0.1 * x), `niceFloor(${x}) = ${nice} loses ${x - nice} s`);
    assert.ok(nice >= prev.nice, `niceFloor(${x}) = ${nice} < niceFloor(${prev.x}) = ${prev.nice}`);
    assert.equal(niceFloor(nice), nice, `niceFloor(${x}) = ${nice} is not itself nice`);
    assert.ok(Number.isInteger(nice));
    prev = { x, nice };
  }
});

test('probesFor and slackFor agree with the solutions that use them', () => {
  forAll(({ pathTimeoutS: T, toleratedLosses: m }, s) =>
    s.keepalive.probes !== probesFor(m)
      ? `probesFor(${m}) = ${probesFor(m)}`
      : s.slackS !== slackFor(T)
        ? `slackFor(${T}) = ${slackFor(T)}`
        : null,
  );
});

test("Redis tcp-keepalive: the same bound with Redis's own interval (X/3) and count (3)", () => {
  const rng = new Rng(SEED ^ 0x4ed1);
  let found = 0;
  for (let i = 0; i < CASES; i++) {
    const budget = rng.pick([rng.between(0, 30), rng.between(30, 1000), rng.between(1000, 30_000)]);
    const m = losses(rng);
    const D = rng.pick([null, null, rng.between(1, 10), rng.between(10, 20_000)]);
    const what = `budget ${budget} s, m=${m}, D=${D}`;
    const losses2 = Math.min(m, 2);
    const fits = (x: number): boolean => x + losses2 * redisIntervalFor(x) <= budget && (D === null || x + 3 * redisIntervalFor(x) <= D);
    const r = redisKeepaliveFor(budget, m, D);
    // Both sides of the bound grow with X, so X = 1 fitting decides whether any X does.
    if (r === null) {
      assert.ok(!fits(1), `${what}: X = 1 fits, yet no setting`);
      continue;
    }
    found++;
    const x = r.tcpKeepaliveS;
    assert.ok(Number.isInteger(x) && x >= 1 && x <= LINUX_DEFAULT.timeS, `${what}: X = ${x}`);
    assert.equal(r.intervalS, Math.max(1, Math.floor(x / 3)), `${what}: Redis sets KEEPINTVL = X/3, at least 1`);
    assert.equal(r.probes, 3, what);
    assert.equal(r.losses, losses2, `${what}: KEEPCNT 3 tolerates at most 2 losses`);
    assert.ok(x + r.losses * r.intervalS <= budget, `${what}: X ${x} + ${r.losses}·${r.intervalS} is past the budget`);
    assert.equal(r.detectionS, x + 3 * r.intervalS, what);
    if (D !== null) assert.ok(r.detectionS <= D, `${what}: detects after ${r.detectionS} s`);
    const up = nextNice(x);
    assert.ok(up > LINUX_DEFAULT.timeS || !fits(up), `${what}: X = ${up} would fit too (chose ${x})`);
  }
  assert.ok(found > CASES / 2, `only ${found} budgets had a Redis setting`);
});
