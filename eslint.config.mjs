// Lint: typescript-eslint's type-aware rules, chiefly no-floating-promises
// (a containment step that is not awaited is a containment that may not happen).
import tseslint from 'typescript-eslint';
import noUnboundedFanOut from './eslint-rules/no-unbounded-fan-out.cjs';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Prettier wraps code at 140; this catches what it cannot wrap (comments), with room for long strings.
      'max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    // AWS fan-out in the product is bounded (p-limit) or says why it is small.
    files: ['src/**/*.ts'],
    plugins: { cordon: { rules: { 'no-unbounded-fan-out': noUnboundedFanOut } } },
    rules: { 'cordon/no-unbounded-fan-out': 'error' },
  },
  {
    // The product never depends on the local AWS (emulator, fault proxy, demo world): it ships without it.
    files: ['src/**/*.ts', 'stacks/**/*.ts', 'stacksets/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/local-aws', '**/local-aws/**'],
              message: 'src/, stacks/ and stacksets/ ship; local-aws/ is the local test AWS and must not be imported by them.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'it', property: 'only' },
        { object: 'describe', property: 'only' },
        { object: 'it', property: 'skip' },
        { object: 'describe', property: 'skip' },
      ],
    },
  },
);
