// Shared jest set-up for every workspace: ESM TypeScript compiled by SWC (fast, no type
// checking: that is `tsc`'s job in the typecheck task), and `./x.js` imports mapped back to
// the `./x.ts` sources.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'es6' },
      },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  testTimeout: 60_000,
};
