/**
 * Jest runs TypeScript through swc (type checks are `tsc --noEmit`, run by
 * `npm test` first). p-limit and its dependency yocto-queue are ESM-only, so
 * they are transformed too instead of being ignored like the rest of node_modules.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(p-limit|yocto-queue)/)'],
  testTimeout: 60000,
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/setup-env.ts'],
};
