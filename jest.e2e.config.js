/**
 * `npm run test:e2e`: the notebooks in a real Jupyter server and a real browser. Kept out of `npm test`
 * because it needs apt packages (jupyter-notebook, jupyter-nbconvert, python3-nbclient, chromium).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // One server, one browser, two cores: no parallel workers.
  maxWorkers: 1,
  testTimeout: 300000,
};
