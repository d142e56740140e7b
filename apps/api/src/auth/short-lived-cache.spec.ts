import { describe, expect, it } from 'vitest';
import { ShortLivedCache } from './short-lived-cache';

describe('ShortLivedCache', () => {
  it('expires entries after ttlMs', () => {
    let now = 1_000;
    const cache = new ShortLivedCache<string>(500, 10, () => now);
    cache.set('a', 'x', cache.ticket());
    now += 499;
    expect(cache.get('a')).toBe('x');
    now += 1;
    expect(cache.get('a')).toBeUndefined();
  });

  it('drops a value read before an invalidation (the read may predate the write)', () => {
    const cache = new ShortLivedCache<string>(1_000);
    const ticket = cache.ticket();
    cache.delete('other');
    cache.set('a', 'stale', ticket);
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 'fresh', cache.ticket());
    expect(cache.get('a')).toBe('fresh');
  });

  it('deleteWhere and clear forget matching entries', () => {
    const cache = new ShortLivedCache<{ user: string }>(1_000);
    cache.set('s1', { user: 'u1' }, cache.ticket());
    cache.set('s2', { user: 'u2' }, cache.ticket());
    cache.deleteWhere((v) => v.user === 'u1');
    expect(cache.get('s1')).toBeUndefined();
    expect(cache.get('s2')).toEqual({ user: 'u2' });
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const cache = new ShortLivedCache<number>(1_000, 2);
    for (let i = 0; i < 3; i++) cache.set(`k${i}`, i, cache.ticket());
    expect(cache.size).toBe(2);
    expect(cache.get('k0')).toBeUndefined();
    expect(cache.get('k2')).toBe(2);
  });
});
