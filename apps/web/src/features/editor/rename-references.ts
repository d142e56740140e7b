/**
 * Renames a component or query inside every `{{ }}` of a text: `{{ input1.value }}` becomes
 * `{{ name.value }}`. Text outside bindings, string literals' neighbours and longer names
 * (`input10`) are left alone.
 */
export function renameReferences(text: string, from: string, to: string): string {
  const name = new RegExp(
    `(^|[^A-Za-z0-9_.$'"])${from.replace(/[$]/g, '\\$')}(?![A-Za-z0-9_])`,
    'g',
  );
  return text.replace(
    /\{\{([\s\S]*?)\}\}/g,
    (_m, inner: string) => `{{${inner.replace(name, `$1${to}`)}}}`,
  );
}
