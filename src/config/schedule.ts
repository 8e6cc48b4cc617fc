import { MIN_ENABLER_INTERVAL_MINUTES } from './defaults';

/**
 * An EventBridge schedule expression from `rate(N unit)`, `cron(…)` or a
 * number of hours, or what is wrong with it. Rates shorter than
 * MIN_ENABLER_INTERVAL_MINUTES are refused; cron expressions are checked for
 * their shape (six fields, `?` in day-of-month or day-of-week), and
 * EventBridge checks the rest at deploy.
 */
export function parseSchedule(value: string): { readonly expression: string } | { readonly problem: string } {
  const hours = /^\d+$/.test(value) ? Number(value) : undefined;
  const expression = hours !== undefined ? `rate(${hours} ${hours === 1 ? 'hour' : 'hours'})` : value;
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (n < 1) return { problem: 'expected a rate of at least 1' };
    if ((n === 1) !== !unit.endsWith('s'))
      return { problem: `EventBridge expects a singular unit for 1 and a plural one otherwise, e.g. rate(1 hour), rate(12 hours)` };
    const minutes = n * ({ minute: 1, hour: 60, day: 1440 }[unit.replace(/s$/, '') as 'minute' | 'hour' | 'day'] ?? 1);
    if (minutes < MIN_ENABLER_INTERVAL_MINUTES)
      return {
        problem: `expected runs at least ${MIN_ENABLER_INTERVAL_MINUTES} minutes apart (each run may take 15 minutes and calls every region)`,
      };
    return { expression };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6) return { problem: 'expected cron(minutes hours day-of-month month day-of-week year), six fields' };
    if ((fields[2] === '?') === (fields[4] === '?'))
      return { problem: 'expected "?" in exactly one of day-of-month and day-of-week (EventBridge cron rule)' };
    return { expression };
  }
  return { problem: 'expected rate(12 hours), cron(0 */12 * * ? *) or a number of hours' };
}

/** Minutes in a day: the longest period a CloudWatch alarm on the enabler's runs uses. */
const DAY_MINUTES = 1440;

/**
 * How the stack watches that a schedule keeps running: a period and a number
 * of periods in which at least one run must fall (pure). A rate of N minutes
 * gets a window of 2N (one late run does not alarm), in one period up to a
 * day, or in whole days beyond, at most 7 (CloudWatch's longest evaluation
 * range). A cron expression is expected to run at least daily: two days.
 */
export function scheduleWatch(expression: string): { readonly periodMinutes: number; readonly periods: number } {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  const interval = rate
    ? Number(rate[1]) * ({ minute: 1, hour: 60, day: DAY_MINUTES }[rate[2] as 'minute' | 'hour' | 'day'] ?? 1)
    : DAY_MINUTES;
  const window = 2 * interval;
  if (window <= DAY_MINUTES) return { periodMinutes: window, periods: 1 };
  return { periodMinutes: DAY_MINUTES, periods: Math.min(7, Math.ceil(window / DAY_MINUTES)) };
}
