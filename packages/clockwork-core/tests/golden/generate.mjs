// Generates vectors.json: golden cron fire times from the npm `cron-parser` (v5) and `croner`,
// for clockwork-core's differential tests (tests/unit/test_differential.py).
//
//   cd packages/clockwork-core/tests/golden && npm ci && node generate.mjs
//
// The output is deterministic for the pinned library versions (package-lock.json): no clock,
// no randomness (cron-parser's `H` is always given a hashSeed), keys in a fixed order.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CronExpressionParser } from 'cron-parser';
import { Cron } from 'croner';

const require = createRequire(import.meta.url);
const FIRES = 12;
const HASH_SEED = 'clockwork-golden';
const CRON_PARSER_OPTIONS = { hashSeed: HASH_SEED };
// croner: DESIGN.md asks for fixedTimeRule "no-wildcard" (croner >= 10 has it). dom/dow OR is
// croner's default (domAndDow: false; the deprecated legacyMode: true means the same). Only 5 or
// 6 fields, as cron-parser. sloppyRanges lets croner read `a/s` as `a-max/s`, as cron-parser does.
const CRONER_OPTIONS = {
  timezone: 'UTC',
  fixedTimeRule: 'no-wildcard',
  domAndDow: false,
  mode: '5-or-6-parts',
  sloppyRanges: true,
};

// ---------------------------------------------------------------------------------------------
// The committed expression list. `group` says what each one exercises; the Python test relies
// on the groups "hash", "addition" and "short", and counts the others.
const EXPRESSIONS = [
  // basic 5-field forms
  ['basic', '* * * * *'],
  ['basic', '? * * * *'],
  ['basic', '0 * * * *'],
  ['basic', '0 0 * * *'],
  ['basic', '30 2 * * *'],
  ['basic', '59 23 31 12 *'],
  ['basic', '0 12 1 1 *'],
  ['basic', '0 0 29 2 *'],
  ['basic', '0 0 31 * *'],
  ['basic', '0 0 30 * *'],
  ['basic', '0 0 1,15 * *'],
  ['basic', '0 0 1-7 * *'],
  ['basic', '15 14 1 * *'],
  ['basic', '0 22 * * 1-5'],
  ['basic', '23 0-20/2 * * *'],
  ['basic', '5 4 * * sun'],
  ['basic', '0 0,12 1 */2 *'],
  ['basic', '0 4 8-14 * *'],
  ['basic', '0 0 1 1 *'],
  ['basic', '00 09 * * *'],
  ['basic', '0 12 * * *'],
  ['basic', '0 12 * * MON'],
  // steps
  ['step', '*/5 * * * *'],
  ['step', '*/7 * * * *'],
  ['step', '*/59 * * * *'],
  ['step', '*/60 * * * *'],
  ['step', '*/100 * * * *'],
  ['step', '10/20 * * * *'],
  ['step', '0/15 * * * *'],
  ['step', '59/1 * * * *'],
  ['step', '5-40/10 * * * *'],
  ['step', '0 */3 * * *'],
  ['step', '0 1-23/2 * * *'],
  ['step', '0 0-23/5 * * *'],
  ['step', '30 */25 * * *'],
  ['step', '0 0 */10 * *'],
  ['step', '0 0 */2 * *'],
  ['step', '0 0 5/10 * *'],
  ['step', '0 0 1 */4 *'],
  ['step', '0 0 1 6/3 *'],
  ['step', '0 0 1 2-11/3 *'],
  ['step', '0 0 * * */2'],
  ['step', '0 0 * * 1/2'],
  ['step', '0 0 * * 0-6/3'],
  ['step', '0 0 * * 1-7/2'],
  ['step', '1-5,*/20 * * * *'],
  ['step', '*/15,7 * * * *'],
  ['step', '0 0 1 JAN/4 *'],
  ['step', '0 0 * * MON/3'],
  // ranges and lists
  ['list', '0-5 * * * *'],
  ['list', '1,2,3 * * * *'],
  ['list', '0,30 9-17 * * 1-5'],
  ['list', '15 8,12,18 * * *'],
  ['list', '0 0 1-5,10-15 * *'],
  ['list', '0 0 * * 1,3,5'],
  ['list', '0 9-17/2 * * MON-FRI'],
  ['list', '0 0 * * 0,7'],
  ['list', '3,1,2 * * * *'],
  ['list', '1,1,2 * * * *'],
  ['list', '1-5,3 * * * *'],
  ['list', '0 0 * * 7,SUN'],
  ['list', '0 0 1 1,6,12 *'],
  ['list', '0 0 28-31 * *'],
  ['list', '0 0 * * 6-7'],
  ['list', '0 0 * * 0-7'],
  ['list', '7-7 * * * *'],
  // month and day names, any case
  ['names', '0 0 1 JAN *'],
  ['names', '0 0 1 jan *'],
  ['names', '0 0 1 Jan *'],
  ['names', '0 0 1 jAn *'],
  ['names', '0 0 * * MON'],
  ['names', '0 0 * * mon'],
  ['names', '0 0 * * Mon'],
  ['names', '0 0 * JAN-MAR *'],
  ['names', '0 0 * jan,jul *'],
  ['names', '0 0 * * MON-FRI'],
  ['names', '0 0 * * sat,sun'],
  ['names', '0 0 * * SUN-SAT'],
  ['names', '0 0 * * mon-wed,fri'],
  ['names', '0 0 1 dec *'],
  ['names', '0 0 * FEB-APR/2 THU'],
  ['names', '0 0 * * SAT-7'],
  // day-of-week 7 is Sunday
  ['dow7', '0 0 * * 7'],
  ['dow7', '0 0 * * 5-7'],
  ['dow7', '0 0 * * 7L'],
  ['dow7', '0 0 * * 7#1'],
  ['dow7', '0 0 * * 1,7'],
  // L (last day of month), nL (last weekday n of the month)
  ['last', '0 0 L * *'],
  ['last', '0 0 L 2 *'],
  ['last', '0 12 L * *'],
  ['last', '0 0 L,15 * *'],
  ['last', '0 0 1,L * *'],
  ['last', '0 0 * * 5L'],
  ['last', '0 0 * * FRIL'],
  ['last', '0 0 * * friL'],
  ['last', '0 0 * * 0L'],
  ['last', '0 0 * * 1L,3'],
  ['last', '0 0 * * 1L,5L'],
  ['last', '0 0 L * 5'],
  ['last', '0 0 L 2 ?'],
  // n#k (k-th weekday n)
  ['nth', '0 0 * * 5#2'],
  ['nth', '0 0 * * FRI#2'],
  ['nth', '0 0 * * fri#2'],
  ['nth', '0 0 * * 1#1'],
  ['nth', '0 0 * * 0#5'],
  ['nth', '0 0 * * 1#5'],
  ['nth', '0 9 * * 2#3'],
  ['nth', '0 0 13 * 5#2'],
  // day-of-month OR day-of-week (a field is restricted unless it is exactly * or ?)
  ['domdow', '0 0 13 * FRI'],
  ['domdow', '0 0 */1 * FRI'],
  ['domdow', '0 0 1-31 * 1'],
  ['domdow', '0 0 1 * MON'],
  ['domdow', '0 0 ? * FRI'],
  ['domdow', '0 0 13 * ?'],
  ['domdow', '0 0 1,15 * 1-5'],
  ['domdow', '0 0 */2 * 0'],
  ['domdow', '0 0 * * */1'],
  ['domdow', '0 0 1 * */1'],
  ['domdow', '0 0 1 * 0-7'],
  ['domdow', '0 0 29 2 1'],
  ['domdow', '0 0 30 2 MON'],
  ['domdow', '0 0 L * 5L'],
  ['domdow', '0 0 ? * ?'],
  // 6 fields, seconds first
  ['seconds', '* * * * * *'],
  ['seconds', '0 * * * * *'],
  ['seconds', '*/15 * * * * *'],
  ['seconds', '30 30 2 * * *'],
  ['seconds', '0 0 0 1 1 *'],
  ['seconds', '5,35 */2 * * * *'],
  ['seconds', '0 0 12 * * MON-FRI'],
  ['seconds', '10/20 * * * * *'],
  ['seconds', '59 59 23 L * *'],
  ['seconds', '0 0 0 * * 5#2'],
  ['seconds', '0 0 0 29 2 ?'],
  ['seconds', '? * * * * *'],
  ['seconds', '45 */10 9-17 * * 1-5'],
  ['seconds', '0-10/5 0 0 * * *'],
  // macros
  ['macro', '@yearly'],
  ['macro', '@annually'],
  ['macro', '@monthly'],
  ['macro', '@weekly'],
  ['macro', '@daily'],
  ['macro', '@hourly'],
  ['macro', '@minutely'],
  ['macro', '@secondly'],
  ['macro', '@weekdays'],
  ['macro', '@weekends'],
  // whitespace is not significant
  ['space', ' 0 0 * * * '],
  ['space', '0  0\t* *  *'],
  // H (hashed) forms: cron-parser accepts them; the value depends on the hash.
  ['hash', 'H * * * *'],
  ['hash', 'H/15 * * * *'],
  ['hash', 'H(0-10) * * * *'],
  ['hash', 'H(0-29)/5 * * * *'],
  ['hash', '30 H * * *'],
  ['hash', 'H 23 * * 1-5'],
  ['hash', 'H H(2-4) * * *'],
  ['hash', '0 0 H * *'],
  ['hash', '0 0 * * H'],
  ['hash', '0 0 * * H#3'],
  ['hash', 'H * * * * *'],
  ['hash', 'H(1-5)/10 * * * *'],
  // our additions: cron-parser rejects them (croner reads some of them)
  ['addition', '@midnight'],
  ['addition', '0 0 LW * *'],
  ['addition', '0 0 15W * *'],
  ['addition', '0 0 1W * *'],
  ['addition', '0 0 31W * *'],
  ['addition', '0 0 L-2 * *'],
  ['addition', '0 0 L-0 * *'],
  ['addition', '0 0 * * 1#1,5#3'],
  ['addition', '0 0 * * MON#1,FRI#2'],
  ['addition', 'cron(0 12 * * ? *)'],
  ['addition', 'cron(0 12 ? * 2 *)'],
  ['addition', 'cron(0/15 * * * ? *)'],
  ['addition', 'cron(0 8 1 * ? 2027)'],
  ['addition', 'rate(5 minutes)'],
  ['addition', 'rate(1 hour)'],
  ['addition', 'rate(2 days)'],
  ['addition', 'at(2026-12-01T10:00:00)'],
  // invalid
  ['invalid', '60 * * * *'],
  ['invalid', '* 24 * * *'],
  ['invalid', '* * 0 * *'],
  ['invalid', '* * 32 * *'],
  ['invalid', '* * * 13 *'],
  ['invalid', '* * * 0 *'],
  ['invalid', '* * * * 8'],
  ['invalid', '-1 * * * *'],
  ['invalid', '5-1 * * * *'],
  ['invalid', '*/0 * * * *'],
  ['invalid', '0 0 30 2 *'],
  ['invalid', '0 0 31 2,4 *'],
  ['invalid', '0 0 31 4 *'],
  ['invalid', '0 0 30,31 2 *'],
  ['invalid', '0 0 * * FRI-SUN'],
  ['invalid', 'FRI-SUN'],
  ['invalid', '0 0 1 DEC-FEB *'],
  ['invalid', '* * * * * * *'],
  ['invalid', '0 0 0 1 1 * 2026'],
  ['invalid', 'garbage'],
  ['invalid', 'a b c d e'],
  ['invalid', '* * * * foo'],
  ['invalid', '* * * * MONDAY'],
  ['invalid', '* * * JANUARY *'],
  ['invalid', '@fortnightly'],
  ['invalid', '@reboot'],
  ['invalid', '@DAILY'],
  ['invalid', '1-2-3 * * * *'],
  ['invalid', '*/5/5 * * * *'],
  ['invalid', '1,,2 * * * *'],
  ['invalid', '1, * * * *'],
  ['invalid', '/10 * * * *'],
  ['invalid', '*/ * * * *'],
  ['invalid', '*/-5 * * * *'],
  ['invalid', '0 0 * * 1#6'],
  ['invalid', '0 0 * * 1#0'],
  ['invalid', '0 0 * * 8#1'],
  ['invalid', '0 0 * * 5#L'],
  ['invalid', '0 0 32L * *'],
  ['invalid', '0 0 L-40 * *'],
  ['invalid', '61 * * * * *'],
  ['invalid', '* * * * * *x'],
  ['invalid', '0 0 * * 1-5#2'],
  ['invalid', '0 0 ** * *'],
  ['invalid', '0 0 5* * *'],
  ['invalid', '1.5 * * * *'],
  ['invalid', '0 0 0x1 * *'],
  // short forms: cron-parser pads them with defaults; we reject them on purpose
  ['short', ''],
  ['short', '   '],
  ['short', '*'],
  ['short', '* *'],
  ['short', '* * *'],
  ['short', '* * * *'],
  ['short', '0 0'],
];

// UTC start instants: on a fire time (strictly-after), a month end, a leap-year February, and
// an instant with seconds and a fraction.
const UTC_STARTS = [
  '2026-01-01T00:00:00Z',
  '2026-01-31T23:59:59Z',
  '2028-02-27T12:00:00Z',
  '2026-07-04T12:34:56.500Z',
];

// DST transitions in 2026-2027 (the instant the offset changes), and the subset of expressions
// evaluated around them. Every expression here is one where both libraries agree in UTC, so that
// their UTC (naive wall-clock) sequence is a trustworthy input to the rule model in the test.
const ZONES = {
  'America/New_York': [
    ['spring', '2026-03-08T07:00:00Z'],
    ['fall', '2026-11-01T06:00:00Z'],
    ['spring', '2027-03-14T07:00:00Z'],
    ['fall', '2027-11-07T06:00:00Z'],
  ],
  'Europe/Berlin': [
    ['spring', '2026-03-29T01:00:00Z'],
    ['fall', '2026-10-25T01:00:00Z'],
    ['spring', '2027-03-28T01:00:00Z'],
    ['fall', '2027-10-31T01:00:00Z'],
  ],
};
// Offsets (seconds) from the transition instant at which a computation starts: well before,
// just before, and just after (inside the repeated hour after a fall-back).
const DST_START_OFFSETS = [-3 * 3600, -30 * 60, 10 * 60];
const DST_EXPRESSIONS = [
  // fixed (no *, ? or / in second, minute, hour)
  '30 2 * * *',
  '0 2 * * *',
  '59 2 * * *',
  '30 1 * * *',
  '0 1 * * *',
  '0 3 * * *',
  '0 0 * * *',
  '30 2 * * 0',
  '0 30 2 * * *',
  '15,45 2 * * *',
  '0 1-3 * * *',
  '30 1,2 * * *',
  '0,30 1-3 * * *',
  '0 2 * 3,10,11 SUN',
  '@daily',
  // interval
  '0 * * * *',
  '*/15 * * * *',
  '*/30 * * * *',
  '0 */2 * * *',
  '0 0-23/2 * * *',
  '30 1-3/1 * * *',
  '* 2 * * *',
  '*/20 1-3 * * *',
  '*/30 1,2 * * *',
  '*/20 30 1 * * *',
  '@hourly',
  '0 */30 * * * *',
];
// A mid-year start, far from any transition, for the whole list in each zone.
const ZONED_PLAIN_START = '2026-06-15T12:00:00Z';

// ---------------------------------------------------------------------------------------------

function iso(date) {
  // Always UTC with a Z; milliseconds only when not zero.
  return date.toISOString().replace('.000Z', 'Z');
}

function cronParserFires(text, start, tz, n = FIRES) {
  try {
    const it = CronExpressionParser.parse(text, { ...CRON_PARSER_OPTIONS, currentDate: start, tz });
    const fires = [];
    for (let i = 0; i < n; i += 1) {
      fires.push(iso(it.next().toDate()));
    }
    return { fires };
  } catch (err) {
    return { error: String(err.message) };
  }
}

function cronerFires(text, start, tz, n = FIRES) {
  try {
    const job = new Cron(text, { ...CRONER_OPTIONS, timezone: tz });
    return { fires: job.nextRuns(n, new Date(start)).map(iso) };
  } catch (err) {
    return { error: String(err.message) };
  }
}

// croner's result, or "same" when it is cron-parser's (halves the file).
function sameAs(cp, cr) {
  return sameResult(cp, cr) ? 'same' : cr;
}

function fieldCount(text) {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

function sameResult(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// Wall-clock time of an instant in a zone, as a naive ISO string (no offset).
function wallTime(instantIso, zone) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instantIso));
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}`;
}

// Offset (ms) of a zone at an instant (ms since the epoch).
function offsetAt(ms, zone) {
  return new Date(`${wallTime(new Date(ms).toISOString(), zone)}Z`).getTime() - ms;
}

// Whether a naive wall time exists in a zone (is not inside a spring-forward gap).
function wallExists(wall, zone) {
  const asUtc = new Date(`${wall}Z`).getTime();
  const day = 86400 * 1000;
  for (const off of new Set([offsetAt(asUtc - day, zone), offsetAt(asUtc + day, zone)])) {
    if (wallTime(new Date(asUtc - off).toISOString(), zone) === wall) return true;
  }
  return false;
}

const TRANSITION_MS = Object.fromEntries(
  Object.entries(ZONES).map(([zone, list]) => [zone, list.map(([, t]) => new Date(t).getTime())]),
);

function nearTransition(ms, zone, hours) {
  return TRANSITION_MS[zone].some((t) => Math.abs(t - ms) <= hours * 3600 * 1000);
}

// The naive wall-clock fire sequence: the expression evaluated in UTC (which has no DST) from the
// start's wall time. The test maps these wall times to instants with our DST rules, independently
// of our implementation. When a transition is near the start, the sequence begins two hours of
// wall time earlier (a wall time before the start's can lie after it in real time, in the second
// pass of a repeated hour). It ends after at least FIRES + 4 existing wall times past the start
// (plus that margin) and away from any transition, so that no later wall time can map to an
// instant among the first FIRES.
function naiveFires(text, start, zone, lib) {
  const startWall = wallTime(start, zone);
  const base = new Date(`${startWall}Z`).getTime();
  const margin = nearTransition(new Date(start).getTime(), zone, 4) ? 2 * 3600 * 1000 : 0;
  const from = base - margin;
  const out = [];
  let beyond = 0;
  let current = new Date(from - 1000);
  const it =
    lib === 'cron_parser'
      ? CronExpressionParser.parse(text, { ...CRON_PARSER_OPTIONS, currentDate: current, tz: 'UTC' })
      : null;
  const job = lib === 'croner' ? new Cron(text, CRONER_OPTIONS) : null;
  for (;;) {
    const next = it ? it.next().toDate() : job.nextRun(current);
    if (next === null) return null; // croner reads it as a schedule that never fires
    current = next;
    const wall = iso(next).replace('Z', '');
    out.push(wall);
    if (next.getTime() > base + margin && wallExists(wall, zone)) beyond += 1;
    const approx = next.getTime() - offsetAt(next.getTime(), zone);
    if (beyond >= FIRES + 4 && !nearTransition(approx, zone, 4)) break;
    if (out.length > 3000) throw new Error(`too many naive fires for ${text}`);
  }
  return { naive_from: iso(new Date(from)).replace('Z', ''), naive_source: lib, naive: out };
}

function zonedVector(text, group, zone, start, extra) {
  const cp = cronParserFires(text, start, zone);
  const cr = cronerFires(text, start, zone);
  if (cp.error && cr.error) return null;
  const lib = cp.error ? 'croner' : 'cron_parser';
  const naive = naiveFires(text, start, zone, lib);
  if (naive === null) return null;
  return {
    text,
    group,
    zone,
    start,
    ...extra,
    ...naive,
    cron_parser: cp,
    croner: sameResult(cp, cr) ? 'same' : cr,
  };
}

// ---- H: every schedule cron-parser's hash could pick --------------------------------------
// cron-parser replaces each H form of a field with values drawn from ONE seeded random number r
// in [0, 1) per field (see #parseHashed in its CronExpressionParser.js). Sweeping r over a grid
// finer than any threshold (k/range, k/step) enumerates every concrete field it can produce.
const FIELD_RANGES = [
  [0, 59], // second
  [0, 59], // minute
  [0, 23], // hour
  [1, 31], // day of month
  [1, 12], // month
  [0, 7], // day of week
];

function hashedField(value, [cmin, cmax], r) {
  return value.replace(/H(?:\((\d+)-(\d+)\))?(?:\/(\d+))?/g, (_, min, max, step) => {
    const lo = min ? Math.max(+min, cmin) : cmin;
    const hi = max ? Math.min(+max, cmax) : cmax;
    if (step) {
      const s = +step;
      const offset = Math.floor(r * s);
      const values = [];
      for (let i = Math.floor(lo / s) * s + offset; i <= hi; i += s) if (i >= lo) values.push(i);
      if (values.length) return values.join(',');
    }
    return String(Math.floor(r * (hi - lo + 1)) + lo);
  });
}

function hashCandidates(text) {
  const atoms = text.trim().split(/\s+/);
  const six = atoms.length === 6 ? atoms : ['0', ...atoms];
  const perField = six.map((atom, i) => {
    if (!atom.includes('H')) return [atom];
    const seen = new Set();
    const grid = 200000;
    for (let j = 0; j < grid; j += 1) seen.add(hashedField(atom, FIELD_RANGES[i], (j + 0.5) / grid));
    return [...seen];
  });
  let combos = [[]];
  for (const options of perField) combos = combos.flatMap((c) => options.map((o) => [...c, o]));
  return combos.map((c) => (atoms.length === 6 ? c : c.slice(1)).join(' '));
}

// ---------------------------------------------------------------------------------------------

function main() {
  const lock = JSON.parse(readFileSync(new URL('./package-lock.json', import.meta.url), 'utf8'));
  const versions = {
    'cron-parser': require('cron-parser/package.json').version,
    croner: require('croner/package.json').version,
    luxon: lock.packages['node_modules/luxon'].version,
    node: process.version,
  };
  const pinned = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
  for (const name of ['cron-parser', 'croner']) {
    if (pinned.dependencies[name] !== versions[name]) {
      throw new Error(`installed ${name} ${versions[name]} is not the pinned ${pinned.dependencies[name]}: run npm ci`);
    }
  }

  const texts = new Set();
  for (const [, text] of EXPRESSIONS) {
    if (texts.has(text)) throw new Error(`duplicate expression ${JSON.stringify(text)}`);
    texts.add(text);
  }

  // The DST subset is evaluated in UTC too (group "dst" unless listed above).
  const all = [...EXPRESSIONS, ...DST_EXPRESSIONS.filter((t) => !texts.has(t)).map((t) => ['dst', t])];
  const expressions = all.map(([group, text]) => ({ text, group, fields: fieldCount(text) }));

  const utc = [];
  for (const { text, group } of expressions) {
    for (const start of UTC_STARTS) {
      const cp = cronParserFires(text, start, 'UTC');
      utc.push({ text, group, start, cron_parser: cp, croner: sameAs(cp, cronerFires(text, start, 'UTC')) });
    }
  }

  // Every expression in each zone from a mid-year start (no transition near the start), and the
  // DST subset around each transition.
  const zoned = [];
  for (const zone of Object.keys(ZONES)) {
    for (const { text, group } of expressions) {
      if (group === 'hash' || group === 'short') continue;
      const vector = zonedVector(text, group, zone, ZONED_PLAIN_START, {});
      if (vector) zoned.push(vector);
    }
  }
  for (const text of DST_EXPRESSIONS) {
    const utcCp = cronParserFires(text, '2026-01-01T00:00:00Z', 'UTC', 40);
    const utcCr = cronerFires(text, '2026-01-01T00:00:00Z', 'UTC', 40);
    if (!sameResult(utcCp, utcCr) || utcCp.error) {
      throw new Error(`DST expression ${text} is not agreed on in UTC`);
    }
  }
  for (const [zone, transitions] of Object.entries(ZONES)) {
    for (const [kind, transition] of transitions) {
      for (const offset of DST_START_OFFSETS) {
        const start = iso(new Date(new Date(transition).getTime() + offset * 1000));
        for (const text of DST_EXPRESSIONS) {
          const vector = zonedVector(text, 'dst', zone, start, { transition, kind });
          if (!vector) throw new Error(`no DST vector for ${text}`);
          zoned.push(vector);
        }
      }
    }
  }

  // H: the candidate schedules, and cron-parser's own pick for a few seeds (which must be one of
  // them, or the enumeration above is wrong).
  const hashed = [];
  for (const { text, group } of expressions) {
    if (group !== 'hash') continue;
    const start = UTC_STARTS[0];
    const candidates = {};
    for (const concrete of hashCandidates(text)) {
      const r = cronParserFires(concrete, start, 'UTC', 4);
      if (r.error) throw new Error(`hash candidate ${concrete} of ${text}: ${r.error}`);
      candidates[concrete] = r.fires;
    }
    const known = new Set(Object.values(candidates).map((f) => JSON.stringify(f)));
    for (const seed of ['a', 'b', 'c', 'schedule-1', 'schedule-2', HASH_SEED]) {
      const it = CronExpressionParser.parse(text, { hashSeed: seed, currentDate: start, tz: 'UTC' });
      const fires = [0, 1, 2, 3].map(() => iso(it.next().toDate()));
      if (!known.has(JSON.stringify(fires))) {
        throw new Error(`cron-parser's pick for ${text} (seed ${seed}) is not among the candidates`);
      }
    }
    hashed.push({ text, start, candidates });
  }

  const out = {
    about:
      'Golden cron vectors from the npm cron-parser and croner; see README.md. Generated by generate.mjs: do not edit.',
    versions,
    options: {
      fires: FIRES,
      cron_parser: CRON_PARSER_OPTIONS,
      croner: CRONER_OPTIONS,
      utc_starts: UTC_STARTS,
      zoned_plain_start: ZONED_PLAIN_START,
      transitions: ZONES,
      dst_start_offsets_seconds: DST_START_OFFSETS,
    },
    expressions,
    utc,
    zoned,
    hashed,
  };
  const json = `${JSON.stringify(out, null, 0)
    .replace(/\},\{"text"/g, '},\n{"text"')
    .replace(/\],"(utc|zoned|hashed|expressions)":\[/g, '],\n"$1":[\n')}\n`;
  writeFileSync(new URL('./vectors.json', import.meta.url), json);
  const counts = {
    expressions: expressions.length,
    utc: utc.length,
    zoned: zoned.length,
    hashed: hashed.length,
    bytes: json.length,
  };
  console.log(JSON.stringify(counts));
}

main();
