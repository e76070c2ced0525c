// typescript-eslint's recommended rules (syntax only: the type-aware set takes minutes on this tree
// for little more), plus ESLint's recommended rules for the plain JavaScript entry points.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const node = { process: 'readonly', console: 'readonly', URL: 'readonly' };

export default defineConfig(
  { ignores: ['node_modules/', 'data/', 'dist/', 'test-results/', '.tmp/'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // A leading underscore marks a binding kept on purpose: express knows an error handler by its
      // four parameters, and `{ dropped: _, ...rest }` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests walk raw webhook JSON, whose shape is what they check; typing every level of it would
    // bury the assertion. Product code stays free of `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['bin/*.mjs', 'eslint.config.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: node },
  },
  {
    // The dashboards' page script runs in the browser, without modules (it declares vega's globals).
    files: ['dashboards/assets/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', performance: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly', FormData: 'readonly', console: 'readonly' },
    },
  },
);
