// Lint rules for kad's TypeScript. Formatting is Prettier's job (npm run lint runs both).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config({ ignores: ['dist/', 'node_modules/', 'src/wasm/'] }, js.configs.recommended, tseslint.configs.recommended, {
  rules: {
    // A data-sized array spread into a call overflows the stack near 120 k elements
    // (Math.max(...xs), push(...rows)): loop instead. Small literal lists are fine as arrays.
    // Spread inside an array literal ([...a, ...b], new Set([...xs])) copies iteratively: no stack
    // limit (checked with 3 M elements), so it is allowed.
    'no-restricted-syntax': [
      'error',
      {
        selector: 'CallExpression > SpreadElement',
        message: 'no spread into a call: a data-sized array overflows the stack; loop or concat instead',
      },
      { selector: 'NewExpression > SpreadElement', message: 'no spread into a call: a data-sized array overflows the stack; loop instead' },
      // The same argument list spelled without spread: Math.max.apply(null, xs), push.apply(out, rows).
      {
        selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='apply'][arguments.length=2]",
        message: 'no fn.apply(this, array): a data-sized array overflows the stack; loop instead',
      },
    ],
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
  },
});
