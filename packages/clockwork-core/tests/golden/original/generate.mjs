// Generates vectors.json: what the original aws-ecs-clockwork's cron libraries made of CronTime
// texts, for clockwork-core's tests of clockwork_core.original_cron (tests/unit/test_original_cron.py).
//
//   cd packages/clockwork-core/tests/golden/original && npm ci && node generate.mjs
//
// The original's Lambda validated a CronTime with cron-parser 0.7.1's parseExpression; its worker
// fired it with node-schedule 0.2.9, which iterates with its own cron-parser 0.6.2, in UTC.
// Deterministic: TZ is UTC, the starts are fixed (cron-parser's currentDate), the generated
// expressions come from a seeded generator, keys are in a fixed order.

process.env.TZ = 'UTC';

import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const schedule = require('node-schedule');
// The worker's parser is the one node-schedule itself resolves.
const workerParser = createRequire(require.resolve('node-schedule'))('cron-parser');
const lambdaParser = require('cron-parser-071');
const version = (path) => require(path).version;

if (new Date(0).getTimezoneOffset() !== 0) throw new Error('the generator must run in UTC');

const FIRES = 5;
// Fixed starts: a plain day; the end of a non-leap February (the check of month fields starting
// in February throws in March); the end of January of the leap year 2028 (the check throws in
// leap Februaries); a year end (January's "previous month" is November to cron-parser).
const STARTS = ['2026-12-07T16:00:00Z', '2027-02-27T23:59:58Z', '2028-01-31T23:59:30Z', '2027-12-31T23:59:59Z'];
// cron-parser's own end of the search, so that a search 0.6.2 would run forever stops.
const HORIZON_DAYS = 1100;

// ---------------------------------------------------------------------------------------------
// The committed expression list: [group, text]. `group` says what each one exercises.
const EXPRESSIONS = [
  // the examples of what changes meaning, and the original's own sample events
  ['issue', '5/15 * * * *'],
  ['issue', '0,30 * * * * '],
  ['issue', '*/2  *  * * *'],
  ['issue', '*/2 * * *'],
  ['issue', ''],
  ['issue', '0 0 * * * * 2027'],
  ['issue', '30,5 * * * *'],
  ['issue', '0 0 * * sun'],
  ['issue', '0 0 * * 5-7'],
  ['sample', '*/2 * * * *'],
  ['sample', '*/3 * * * *'],
  ['sample', '0 * * * 0,4-6'],
  // names
  ['names', '0 0 * * MON'],
  ['names', '0 0 * * mon-fri'],
  ['names', '0 0 * * Mon-Fri'],
  ['names', '0 0 * * SUN'],
  ['names', '0 0 * * sat,sun'],
  ['names', '0 0 * * mon,sun'],
  ['names', '0 0 * * Monday'],
  ['names', '0 0 * * fri-sat'],
  ['names', '0 0 1 JAN *'],
  ['names', '0 0 1 jan-mar *'],
  ['names', '0 0 1 dec *'],
  ['names', '0 12 * feb-dec mon'],
  ['names', '0 0 * JAN-DEC *'],
  ['names', '0 0 1 January *'],
  ['names', '0 0 * * xyz'],
  ['names', '0 0 1 foo *'],
  // macros
  ['macro', '@yearly'],
  ['macro', '@monthly'],
  ['macro', '@weekly'],
  ['macro', '@daily'],
  ['macro', '@hourly'],
  ['macro', '@annually'],
  ['macro', '@midnight'],
  ['macro', '@minutely'],
  ['macro', '@reboot'],
  ['macro', '@weekly '],
  ['macro', '@DAILY'],
  ['macro', 'constructor'],
  ['macro', 'toString'],
  ['macro', '__proto__'],
  // Quartz and other dialects' forms
  ['quartz', '0 0 L * *'],
  ['quartz', '0 0 * * 5L'],
  ['quartz', '0 0 * * L'],
  ['quartz', '0 0 * * 1#2'],
  ['quartz', '0 0 15W * *'],
  ['quartz', '? * * * *'],
  ['quartz', '0 0 ? * 1'],
  ['quartz', '0 0 1 * ?'],
  ['quartz', 'H * * * *'],
  ['quartz', 'cron(0 10 ? * MON-FRI *)'],
  ['quartz', 'rate(5 minutes)'],
  // ranges
  ['range', '0 0 1-5 * *'],
  ['range', '0 9-17 * * *'],
  ['range', '5-5 * * * *'],
  ['range', '10-5 * * * *'],
  ['range', '0-59 * * * *'],
  ['range', '0 0 1-31 * 1'],
  ['range', '0 0 1 * 0-7'],
  ['range', '0 0 1 * 1-7'],
  ['range', '0 0 1 * 0-6'],
  ['range', '0 0 * * 6-7'],
  ['range', '0 0 * * 0-7/2'],
  ['range', '1-2-3 * * * *'],
  ['range', '*-5 * * * *'],
  ['range', '5- * * * *'],
  ['range', '-5 * * * *'],
  ['range', '- * * * *'],
  ['range', '-0 * * * *'],
  ['range', '60 * * * *'],
  ['range', '0 24 * * *'],
  ['range', '0 0 0 * *'],
  ['range', '0 0 32 * *'],
  ['range', '0 0 1 13 *'],
  ['range', '0 0 1 0 *'],
  ['range', '0 0 * * 8'],
  ['range', '0 0 * * 7'],
  ['range', '0 0 * * 0,7'],
  ['range', '0 0 * * 7,1'],
  ['range', '0 0 * * 1,7'],
  ['range', '99999999999999999999999 * * * *'],
  ['range', '0-99999999999999999999999 * * * *'],
  // steps
  ['step', '*/15 * * * *'],
  ['step', '*/0 * * * *'],
  ['step', '*/ * * * *'],
  ['step', '/5 * * * *'],
  ['step', '0-30/10 * * * *'],
  ['step', '10/5 * * * *'],
  ['step', '*/5/2 * * * *'],
  ['step', '1-10/3/2 * * * *'],
  ['step', '*/-1 * * * *'],
  ['step', '*/-3 * * * *'],
  ['step', '*/60 * * * *'],
  ['step', '*/7 * * * *'],
  ['step', '0 */5 * * *'],
  ['step', '0 0 */2 * *'],
  ['step', '0 0 * */3 *'],
  ['step', '0 0 * * */2'],
  ['step', '0 0 * * */1'],
  ['step', '0 0 1 * */1'],
  ['step', '*/1 * * * *'],
  ['step', '0 0 5/10 * *'],
  ['step', '0 0 * * 1/2'],
  // lists
  ['list', '0,15,30,45 * * * *'],
  ['list', '45,30,15,0 * * * *'],
  ['list', '5,1-3 * * * *'],
  ['list', '1-3,2,5 * * * *'],
  ['list', '0 0 1,15 * *'],
  ['list', '0 0 15,1 * *'],
  ['list', '0,,30 * * * *'],
  ['list', '0, * * * *'],
  ['list', ',5 * * * *'],
  ['list', '1|2 * * * *'],
  ['list', '1|2,5 * * * *'],
  ['list', '0 0 * * 5,0'],
  ['list', '0 0 1 6,1 *'],
  // six fields: seconds first
  ['six', '0 0 0 * * *'],
  ['six', '30 * * * * *'],
  ['six', '*/10 * * * * *'],
  ['six', '* * * * * *'],
  ['six', '0 30 9 * * 1-5'],
  ['six', '0,30 * * * * *'],
  ['six', '5/15 * * * * *'],
  ['six', '| * * * * *'],
  // whitespace
  ['space', ' 0 * * * *'],
  ['space', '0 * * * * '],
  ['space', '  0 * * * *'],
  ['space', '0  * * * *'],
  ['space', '0 0 * * *  '],
  ['space', '0\t0 * * *'],
  ['space', '0 0 * * *\t'],
  ['space', '0 0 * * *\n'],
  ['space', '*  *'],
  ['space', ' '],
  ['space', '  '],
  ['space', '* * * * * * '],
  ['space', '0 0 0 * * * 2027 extra'],
  ['space', '*/5 * * * * * * *'],
  // fewer than 5 fields
  ['short', '*'],
  ['short', '* *'],
  ['short', '* * *'],
  ['short', '5'],
  ['short', '5 4'],
  ['short', '0 0 1'],
  ['short', '30 9 * *'],
  // day-of-month against the months (0.6.2's "explicit day of month" check)
  ['days', '0 0 29 2 *'],
  ['days', '0 0 30 2 *'],
  ['days', '0 0 31 2 *'],
  ['days', '0 0 31 4 *'],
  ['days', '0 0 31 * *'],
  ['days', '0 0 30 * *'],
  ['days', '0 0 29 * *'],
  ['days', '0 0 28 * *'],
  ['days', '0 0 31 4,5 *'],
  ['days', '0 0 1,31 2-12 *'],
  ['days', '0 0 29 2 1'],
  ['days', '0 0 13 * 5'],
  ['days', '0 0 31 11,12 *'],
  ['days', '0 0 31 12 *'],
  ['days', '0 0 30,31 11 *'],
  ['days', '59 23 31 12 *'],
  ['days', '0 0 1 * *'],
  ['days', '0 0 29 1,2 *'],
  ['days', '0 0 28 2 *'],
  ['days', '0 0 31 1 *'],
  // texts that are no cron
  ['odd', '* * * * * |'],
  ['odd', '0 0 * * * ,'],
  ['odd', 'x * * * *'],
  ['odd', '2016-05-01 10:00'],
  ['odd', '1 2 3'],
  ['odd', '0 0 1 1 * 1990'],
  ['odd', '0.5 * * * *'],
  ['odd', '+5 * * * *'],
  ['odd', '٣ * * * *'],
];

// ---------------------------------------------------------------------------------------------
// Generated expressions: a seeded mix of the forms above, so that combinations are covered too.
const GENERATED = 300;

function mulberry32(seed) {
  return function next() {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = mulberry32(20160510);
const pick = (items) => items[Math.floor(random() * items.length)];
const int = (low, high) => low + Math.floor(random() * (high - low + 1));
const MONTH_NAMES = ['jan', 'FEB', 'Mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'DEC'];
const DAY_NAMES = ['sun', 'mon', 'TUE', 'Wed', 'thu', 'fri', 'SAT'];
// [low, high, names] per field, seconds first; a little out of range on purpose.
const RULES = [
  [0, 59, null],
  [0, 59, null],
  [0, 23, null],
  [1, 31, null],
  [1, 12, MONTH_NAMES],
  [0, 7, DAY_NAMES],
];

function value(rule) {
  const [low, high, names] = rule;
  if (names && random() < 0.25) return pick(names);
  return String(random() < 0.04 ? high + 1 : int(low, high));
}

function atom(rule, isSeconds) {
  const [low, high] = rule;
  const roll = random();
  if (roll < 0.3) return '*';
  if (roll < 0.5) return value(rule);
  if (roll < 0.62) return `${value(rule)}-${value(rule)}`;
  if (roll < 0.72) return `*/${int(isSeconds ? 1 : 0, Math.min(30, high))}`;
  if (roll < 0.8) return `${int(low, high)}/${int(1, 20)}`;
  if (roll < 0.86) return `${int(low, Math.floor(high / 2))}-${int(Math.ceil(high / 2), high)}/${int(1, 9)}`;
  const items = [];
  for (let i = int(2, 3); i > 0; i--) items.push(random() < 0.7 ? value(rule) : `${value(rule)}-${value(rule)}`);
  return items.join(',');
}

function generated() {
  const roll = random();
  const count = roll < 0.65 ? 5 : roll < 0.85 ? 6 : roll < 0.93 ? 4 : 7;
  const fields = [];
  for (let i = 0; i < count; i++) {
    const index = count >= 6 ? Math.min(i, 5) : 6 - count + i;
    // Mostly quiet fields, so that the day fields and the checks decide often.
    fields.push(random() < 0.45 && index !== 5 ? '*' : atom(RULES[index], index === 0));
  }
  let text = fields.join(' ');
  const layout = random();
  if (layout < 0.05) text += ' ';
  else if (layout < 0.1) text = text.replace(' ', '  ');
  return text;
}

// ---------------------------------------------------------------------------------------------

function iso(date) {
  return Number.isNaN(date.getTime()) ? 'Invalid Date' : date.toISOString().replace('.000Z', 'Z');
}

function lambdaVerdict(text) {
  try {
    lambdaParser.parseExpression(text);
    return null;
  } catch (error) {
    return error.message;
  }
}

function workerFrom(text, start) {
  const end = new Date(Date.parse(start) + HORIZON_DAYS * 86400 * 1000);
  const iterator = workerParser.parseExpression(text, { currentDate: new Date(start), endDate: end });
  const fires = [];
  try {
    while (fires.length < FIRES) fires.push(iso(iterator.next()));
  } catch (error) {
    return { start, fires, error: error.message };
  }
  return { start, fires, error: null };
}

function workerVerdict(text) {
  try {
    workerParser.parseExpression(text);
  } catch (error) {
    // node-schedule falls back to scheduling new Date(text) (see the check below).
    return { parse_error: error.message, fallback: iso(new Date(text)), runs: [] };
  }
  return { parse_error: null, fallback: null, runs: STARTS.map((start) => workerFrom(text, start)) };
}

// node-schedule, not only its parser: a text the parser refuses is scheduled as new Date(text).
// Checked with real timers (about 3 s): an invalid date never fires and, being NaN, holds the
// head of node-schedule's single queue, so the other jobs stop firing; a readable past date
// fires once, at once.
async function fallbackChecks() {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const invalid = schedule.scheduleJob('0 0 * * sun', () => {});
  const invalidDate = invalid !== null && Number.isNaN(invalid.nextInvocation().getTime());
  invalid.cancel();
  let readable = 0;
  const past = schedule.scheduleJob('5-5 * * * *', () => readable++);
  await sleep(50);
  let ticks = 0;
  const every = schedule.scheduleJob('* * * * * *', () => ticks++);
  await sleep(1100);
  const before = ticks;
  const stalling = schedule.scheduleJob('0 0 * * sun', () => {});
  await sleep(2100);
  const after = ticks - before;
  for (const job of [past, every, stalling]) job.cancel();
  const checks = {
    refused_text_is_scheduled_as_an_invalid_date: invalidDate,
    a_readable_past_date_fires_once_at_once: readable === 1,
    an_invalid_date_stops_the_other_jobs: before >= 1 && after <= 1,
  };
  for (const [name, ok] of Object.entries(checks)) {
    if (!ok) throw new Error(`node-schedule check failed: ${name} (ticks ${before}, then ${after})`);
  }
  return checks;
}
const checks = await fallbackChecks();

const seen = new Set();
const entries = [];
for (const [group, text] of EXPRESSIONS) {
  if (seen.has(text)) throw new Error(`listed twice: ${JSON.stringify(text)}`);
  seen.add(text);
  entries.push([group, text]);
}
while (entries.length < EXPRESSIONS.length + GENERATED) {
  const text = generated();
  if (!seen.has(text)) {
    seen.add(text);
    entries.push(['generated', text]);
  }
}

const expressions = entries.map(([group, text]) => ({
  group,
  text,
  lambda_error: lambdaVerdict(text),
  worker: workerVerdict(text),
}));

const output = {
  versions: {
    node: process.version,
    'node-schedule': version('node-schedule/package.json'),
    'cron-parser (worker, under node-schedule)': createRequire(require.resolve('node-schedule'))(
      'cron-parser/package.json',
    ).version,
    'cron-parser (Lambda)': version('cron-parser-071/package.json'),
  },
  options: { fires: FIRES, starts: STARTS, horizon_days: HORIZON_DAYS, timezone: 'UTC' },
  checks,
  expressions,
};
// One expression a line: small, and a change in a library's behaviour is a readable diff.
const head = JSON.stringify({ versions: output.versions, options: output.options, checks }, null, 1).slice(0, -2);
const lines = expressions.map((entry) => JSON.stringify(entry));
writeFileSync(
  new URL('./vectors.json', import.meta.url),
  `${head},\n "expressions": [\n${lines.join(',\n')}\n ]\n}\n`,
);
console.log(`wrote ${expressions.length} expressions`);
