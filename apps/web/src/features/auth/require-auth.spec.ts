import { describe, expect, it } from 'vitest';
import { safeNextPath } from './require-auth';

describe('safeNextPath', () => {
  it('follows same-site paths only', () => {
    expect(safeNextPath('/w/abc/apps?x=1')).toBe('/w/abc/apps?x=1');
    for (const bad of [null, '', 'https://evil.test', '//evil.test/x', '/\\evil.test', 'w/abc']) {
      expect(safeNextPath(bad)).toBe('/w');
    }
  });
});
