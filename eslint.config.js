// One linter for the whole tree, with a local rule that enforces the dependency rule of DESIGN §3.
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const root = path.dirname(new URL(import.meta.url).pathname);

/** Which layer a file (absolute path) belongs to, or null when the rule does not care. */
function layerOf(file) {
  const rel = path.relative(root, file).split(path.sep).join('/');
  if (rel.startsWith('src/domain/')) return 'domain';
  if (rel.startsWith('src/ports/')) return 'ports';
  if (rel.startsWith('src/app/')) return 'app';
  if (rel.startsWith('src/store/')) return 'store';
  if (rel.startsWith('src/runtime/')) return 'runtime';
  if (rel.startsWith('src/config/')) return 'config';
  if (rel.startsWith('src/http/')) return 'http';
  if (rel.startsWith('src/cli/')) return 'cli';
  if (rel === 'src/main.ts') return 'main';
  if (rel.startsWith('connectors/')) return 'connectors';
  return null;
}

/** Layers each layer may import from (besides itself). Packages are checked separately. */
const allowed = {
  domain: [],
  ports: ['domain'],
  app: ['ports', 'domain'],
  store: ['ports', 'domain', 'runtime'],
  runtime: ['ports', 'domain'],
  config: ['domain'],
  connectors: ['ports', 'domain', 'runtime', 'config', 'connectors'],
  http: ['ports', 'domain', 'runtime', 'config', 'app'],
};
/** Layers that must not import npm packages at all (Node built-ins included). */
const noPackages = new Set(['domain']);
/** Layers that may import only types from packages. */
const typeOnlyPackages = new Set(['ports', 'app']);

const boundaries = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const from = layerOf(context.filename);
    if (from === null || !(from in allowed)) return {};
    function check(node, source, typeOnly) {
      if (typeof source !== 'string') return;
      if (source.startsWith('.')) {
        const target = layerOf(path.resolve(path.dirname(context.filename), source));
        if (target === null || target === from) return;
        if (!allowed[from].includes(target)) {
          context.report({ node, message: `${from} must not import from ${target} (DESIGN §3 dependency rule)` });
        }
        return;
      }
      if (noPackages.has(from)) {
        context.report({ node, message: `${from} must not import packages ("${source}"); keep it pure` });
      } else if (typeOnlyPackages.has(from) && !typeOnly) {
        context.report({ node, message: `${from} may import only types from packages ("${source}")` });
      }
    }
    return {
      ImportDeclaration(node) {
        check(node, node.source.value, node.importKind === 'type');
      },
      ExportNamedDeclaration(node) {
        if (node.source) check(node, node.source.value, node.exportKind === 'type');
      },
      ExportAllDeclaration(node) {
        check(node, node.source.value, node.exportKind === 'type');
      },
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node, node.source.value, false);
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/artifacts/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    plugins: { local: { rules: { boundaries } } },
    rules: {
      'local/boundaries': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
