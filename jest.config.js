/* global process */
// TensorFlow reads these from the real environment when tfjs-node loads. d2l sets them before it
// loads tfjs-node, but inside jest's sandbox process.env is a copy: set them here, for the workers.
process.env.TF_CPP_MIN_LOG_LEVEL ||= '1';
process.env.TF_ENABLE_ONEDNN_OPTS ||= '0';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Tests import the built package as users do; `npm test` builds it first (pretest).
  testTimeout: 60000,
};
