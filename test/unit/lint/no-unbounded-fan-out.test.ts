import { RuleTester, type Rule } from 'eslint';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the rule is a CommonJS module ESLint loads as is
const rule = require('../../../eslint-rules/no-unbounded-fan-out.cjs') as Rule.RuleModule;

const tester = new RuleTester({ languageOptions: { ecmaVersion: 2022, sourceType: 'module' } });

// RuleTester declares its own describe/it blocks (one test per case).
describe('cordon/no-unbounded-fan-out', () => {
  tester.run('no-unbounded-fan-out', rule, {
    valid: [
      // A fixed number of promises.
      'async function f(a, b) { await Promise.all([a(), b()]); }',
      // Each element through p-limit.
      'async function f(xs, limit) { await Promise.allSettled(xs.map((x) => limit(() => send(x)))); }',
      'async function f(xs, regionLimit) { await Promise.all(xs.map((x) => regionLimit(() => send(x)))); }',
      // Not Promise's.
      'async function f(xs, p) { await p.all(xs.map(send)); }',
    ],
    invalid: [
      { code: 'async function f(accounts) { await Promise.all(accounts.map((a) => send(a))); }', errors: [{ messageId: 'unbounded' }] },
      { code: 'async function f(regions) { await Promise.allSettled(regions.map(run)); }', errors: [{ messageId: 'unbounded' }] },
      { code: 'async function f(pending) { await Promise.all(pending); }', errors: [{ messageId: 'unbounded' }] },
    ],
  });
});
