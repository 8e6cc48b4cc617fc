/**
 * cordon's version of aws-cdk's `promiseall-no-unbounded-parallelism` idea:
 * `Promise.all(xs.map(f))` (or `allSettled`) over a list of accounts, regions
 * or findings opens as many AWS calls at once as the list is long, and one
 * organization is enough to hit the API's rate limits or exhaust sockets.
 *
 * Flags Promise.all / Promise.allSettled whose argument is not an array
 * literal (a fixed number of promises), unless the mapped callback goes
 * through a limiter (a call to `limit(…)`, `limiter(…)` or any function whose
 * name ends in `Limit`). Naturally small fan-outs (an instance's volumes, a
 * batch already split into ≤ 100-finding calls) say why in an
 * `eslint-disable-next-line` comment.
 */

const LIMITER = /^(limit|limiter|.*Limit)$/;

/** True when `node` contains a call to a limiter function. */
function callsLimiter(node, seen = new Set()) {
  if (!node || typeof node !== 'object' || seen.has(node)) return false;
  seen.add(node);
  if (node.type === 'CallExpression' && node.callee.type === 'Identifier' && LIMITER.test(node.callee.name)) return true;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'parent') continue;
    if (Array.isArray(value)) {
      if (value.some((v) => callsLimiter(v, seen))) return true;
    } else if (value && typeof value === 'object' && typeof value.type === 'string' && callsLimiter(value, seen)) return true;
  }
  return false;
}

module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'Promise.all / allSettled over a list must bound its parallelism (p-limit) or say why it is small.' },
    messages: {
      unbounded:
        'Promise.{{method}} over a list runs every element at once: wrap each call in a p-limit limiter, or, when the list is small by nature, add `// eslint-disable-next-line cordon/no-unbounded-fan-out -- <why it is bounded>`.',
    },
    schema: [],
  },
  create(context) {
    return {
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type !== 'MemberExpression' || callee.object.type !== 'Identifier' || callee.object.name !== 'Promise') return;
        if (callee.property.type !== 'Identifier' || !['all', 'allSettled'].includes(callee.property.name)) return;
        const arg = node.arguments[0];
        if (!arg || arg.type === 'ArrayExpression') return;
        if (callsLimiter(arg)) return;
        context.report({ node, messageId: 'unbounded', data: { method: callee.property.name } });
      },
    };
  },
};
