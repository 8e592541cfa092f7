// TensorFlow reads these from the real environment when tfjs-node loads. d2l sets them before it
// loads tfjs-node, but inside jest's sandbox process.env is a copy: set them here, for the workers.
require('./d2l/src/tf-log').quietTensorFlowLog();

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Tests import the built package as users do; `npm test` builds it first (pretest).
  testTimeout: 60000,
};
