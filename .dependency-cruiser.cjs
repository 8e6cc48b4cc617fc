/**
 * The layering of docs/architecture.md, checked by `npm run deps` (part of
 * `npm test`): dependencies go one way, and there are no cycles.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Modules form a tree of layers: no cycles.', from: {}, to: { circular: true } },
    {
      name: 'product-never-imports-local-aws',
      severity: 'error',
      comment: 'src/, stacks/ and stacksets/ ship; local-aws/ is the local test AWS.',
      from: { path: '^(src|stacks|stacksets)/' },
      to: { path: '^(local-aws|bench|test|scripts)/' },
    },
    {
      name: 'runtime-never-imports-cdk',
      severity: 'error',
      comment: 'The runtime (src/) does not know how it is deployed.',
      from: { path: '^src/' },
      to: { path: '^(stacks|stacksets)/|^node_modules/(aws-cdk-lib|constructs|cdk-nag)/' },
    },
    {
      name: 'stacksets-below-stacks',
      severity: 'error',
      comment: 'The member-role template is used by the stacks, never the other way round.',
      from: { path: '^stacksets/' },
      to: { path: '^stacks/' },
    },
    {
      name: 'pure-core',
      severity: 'error',
      comment: 'Parsing findings and deciding from runbooks is pure: no AWS SDK, no clients, no I/O modules of cordon.',
      from: { path: '^src/(findings|runbooks)/' },
      to: {
        path: '^node_modules/@aws-sdk/|^node_modules/@smithy/|^src/(aws|actions|respond|release|audit|securityhub|guardduty|org|cli|handlers)/',
      },
    },
    {
      name: 'errors-are-leaves',
      severity: 'error',
      comment: 'The error classes import nothing of AWS, so every layer may use them.',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^node_modules/@aws-sdk/|^src/(?!errors\\.ts$)' },
    },
    {
      name: 'release-below-respond',
      severity: 'error',
      comment: 'The responder runs release (the Release custom action); release never needs the responder.',
      from: { path: '^src/release/' },
      to: { path: '^src/respond/' },
    },
    {
      name: 'outcome-and-audit-below-actions',
      severity: 'error',
      comment: 'Actions record outcomes in the audit trail; the outcome types and the audit store know nothing of actions.',
      from: { path: '^src/(outcome\\.ts$|audit/)' },
      to: { path: '^src/(actions|respond|release)/' },
    },
    {
      name: 'config-below-pipeline',
      severity: 'error',
      comment: 'Settings are read by the entry points and handed to the pipeline; config never imports the pipeline.',
      from: { path: '^src/config/' },
      // org/features.ts is a pure table of GuardDuty's protection plans, which the settings validate `--features` against.
      to: { path: '^src/(respond|release|actions|securityhub|guardduty|cli|handlers|audit|aws|org)/', pathNot: '^src/org/features\\.ts$' },
    },
    {
      name: 'aws-and-org-below-pipeline',
      severity: 'error',
      comment: 'Clients, credentials and enablement know nothing of the responder pipeline or its actions.',
      from: { path: '^src/(aws|org)/' },
      to: { path: '^src/(respond|release|actions|securityhub|guardduty|audit)/' },
    },
    {
      name: 'cli-and-handlers-on-top',
      severity: 'error',
      comment: 'Nothing below the entry points imports them.',
      from: { path: '^src/', pathNot: '^src/(cli|handlers)/' },
      to: { path: '^src/(cli|handlers)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^(node_modules|cdk.out|coverage)/' },
  },
};
