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
