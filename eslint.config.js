// The linter's job here is bugs the type-checker lets through, not style (the formatter is Biome's,
// see biome.jsonc, which also checks import cycles): promises left floating or passed where nothing
// awaits them, `await` on what is not a promise, and the core rules that catch real mistakes.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'reports/', '.stryker-tmp/'] },
  js.configs.recommended,
  tseslint.configs.eslintRecommended,
  {
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // Each .ts file is checked with the tsconfig that owns it (src/ or test/); the few plain
        // JavaScript files (bin, scripts, bench, a fixture) with TypeScript's inferred types.
        projectService: {
          allowDefaultProject: ['bin/*.js', 'scripts/*.mjs', 'test/bench/*.mjs', 'test/bench/*.cjs', 'test/fixtures/*.mjs', 'test/fixtures/*.cjs'],
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/only-throw-error': 'error',
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // Matching escape sequences is what a terminal tool's regular expressions are for.
      'no-control-regex': 'off',
      // Style, not a bug: the formatter's business if anyone's.
      'prefer-const': 'off',
      // TypeScript resolves names in .ts files; the few .js/.mjs files run under Node as they are.
      'no-undef': 'off',
    },
  },
  {
    // Tests read JSON answers loosely on purpose; the library's code may not.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
