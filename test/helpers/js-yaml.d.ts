// js-yaml ships no types and @types/js-yaml is not installed: the one call the deploy tests use.
declare module 'js-yaml' {
  export function load(text: string): unknown;
}
