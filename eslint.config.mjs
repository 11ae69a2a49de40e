// ESLint flat config: `npm run lint` (CI runs it before the tests). ESLint's and typescript-eslint's
// recommended rules; the type-checked ones for the kit's sources (src/, middleware/), which
// tsconfig.json compiles. See https://typescript-eslint.io/getting-started
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// A leading `_` marks a parameter kept for its position (Express's 4-argument error handler), as
// tsconfig's noUnusedParameters allows; a rest sibling leaves a property out of a copy.
const UNUSED = { argsIgnorePattern: '^_', ignoreRestSiblings: true };

export default defineConfig([
  // node_modules/ is ignored by default; these are build output and installed trees.
  globalIgnores(['dist/', '.lines/', '.tools/', 'lines/*/node_modules/', 'tmp/']),

  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2024, globals: globals.node },
  },
  // The package is "type": "commonjs".
  {
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs' },
  },

  {
    files: ['**/*.{ts,mts,cts}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
  },
  {
    files: ['src/**/*.ts', 'middleware/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },

  {
    files: ['**/*.{js,mjs,cjs}'],
    rules: { 'no-unused-vars': ['error', UNUSED] },
  },
  {
    files: ['**/*.{ts,mts,cts}'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', UNUSED] },
  },
  // sdk.ts loads the SDK and optional peers with require() when initTelemetry() runs, by design.
  {
    files: ['src/sdk.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  {
    files: ['test/**'],
    languageOptions: { globals: globals.mocha },
  },
]);
