import { describe, expect, it } from 'vitest';
import { renameReferences } from './rename-references';

describe('renameReferences', () => {
  it('renames inside bindings only, and only whole names', () => {
    expect(
      renameReferences(
        'input1 {{ input1.value }} {{ input10.value + input1.value }}',
        'input1',
        'name',
      ),
    ).toBe('input1 {{ name.value }} {{ input10.value + name.value }}');
  });
  it('leaves member names that happen to match alone', () => {
    expect(renameReferences('{{ query1.input1 }}', 'input1', 'x')).toBe('{{ query1.input1 }}');
  });
});
