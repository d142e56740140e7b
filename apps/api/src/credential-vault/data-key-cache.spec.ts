import { describe, expect, it } from 'vitest';
import { DataKey } from './data-key';
import { DataKeyCache } from './data-key-cache';

describe('DataKeyCache', () => {
  it('expires entries after the TTL', () => {
    let now = 0;
    const cache = new DataKeyCache(60_000, 10, () => now);
    const key = DataKey.generate();
    cache.set('w', 'd', 'wrapped', key);
    now = 59_999;
    expect(cache.get('w', 'd')?.key).toBe(key);
    now = 60_000;
    expect(cache.get('w', 'd')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries, evicting the least recently used', () => {
    const cache = new DataKeyCache(60_000, 2);
    cache.set('w', '1', 'x', DataKey.generate());
    cache.set('w', '2', 'x', DataKey.generate());
    cache.get('w', '1');
    cache.set('w', '3', 'x', DataKey.generate());
    expect(cache.size).toBe(2);
    expect(cache.get('w', '2')).toBeUndefined();
    expect(cache.get('w', '1')).toBeDefined();
    expect(cache.get('w', '3')).toBeDefined();
  });

  it('keys entries by workspace and datasource, and serializes without keys', () => {
    const cache = new DataKeyCache();
    cache.set('w1', 'd', 'x', DataKey.generate());
    expect(cache.get('w2', 'd')).toBeUndefined();
    expect(JSON.stringify({ cache })).toBe('{"cache":"[DataKeyCache of 1]"}');
  });
});
