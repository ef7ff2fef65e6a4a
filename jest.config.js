// ES modules all the way (middy 6 is ESM-only): ts-jest compiles TypeScript as ESM and jest runs it under
// node --experimental-vm-modules (see the test scripts in package.json).
const typescript = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testEnvironment: 'node',
  testEnvironmentOptions: { globalsCleanup: 'off' },
};

/** @type {import('jest').Config} */
export default {
  // End-to-end tests start processes and wait on a real protocol; none of them asserts a timing.
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.cjs'],
  projects: [
    {
      ...typescript,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/tests/lib/**/*.test.ts',
        '<rootDir>/tests/handlers/**/*.test.ts',
        '<rootDir>/tests/bundle/**/*.test.ts',
      ],
    },
    {
      ...typescript,
      displayName: 'e2e',
      testMatch: [
        '<rootDir>/tests/e2e/**/*.test.ts',
        '<rootDir>/tests/embedded-broker/**/*.test.ts',
        '<rootDir>/tests/deploy/**/*.test.ts',
      ],
    },
  ],
};
