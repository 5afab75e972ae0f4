import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Sample apps (test/fixtures/apps) are the apps' code, not ours: they are staged and run, not linted.
  { ignores: ['generated/**', 'node_modules/**', 'data/**', 'test/fixtures/apps/**', 'sdk/src/generated/**', 'sdk/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          // Plain JavaScript on purpose: the start script, and the static file server copied into droplets.
          allowDefaultProject: ['eslint.config.js', 'src/start.js', 'src/app-runtime/local/staging/static-file-server.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      complexity: ['error', 12],
      'max-depth': ['error', 3],
      'max-params': ['error', 4],
    },
  },
  {
    // The kubernetes adapter is the only code that speaks client-node (README, Architecture).
    files: ['src/**/*.ts'],
    ignores: ['src/store/kubernetes/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@kubernetes/client-node', message: 'Only src/store/kubernetes/ may use client-node; call a function of the adapter.' },
          ],
          patterns: [
            {
              group: ['@kubernetes/client-node/*'],
              message: 'Only src/store/kubernetes/ may use client-node; call a function of the adapter.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
