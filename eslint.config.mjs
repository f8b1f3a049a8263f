// ESLint over the TypeScript of the server, the benches, the scripts and the tests: typescript-eslint's
// recommended rules (docs/decisions/eslint.md). test/architecture/lint.test.ts runs it inside `npm test`.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'console/**', 'node_modules/**', 'reswipe-demo/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore names what is there on purpose and unread: a field left out of a rest copy, an unused parameter.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // A `let` read by a callback before its one assignment (composeGateway's late-bound engine) cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests read JSON answers and fake ports loosely; the code under test may not.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
