import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used values once the total weight is over the bound', () => {
    const cache = new LruCache<string, string[]>(5, (value) => value.length);
    cache.set('a', ['1', '2']);
    cache.set('b', ['1', '2']);
    assert.deepEqual(cache.get('a'), ['1', '2']);
    cache.set('c', ['1', '2']);
    assert.equal(cache.get('b'), undefined, 'b was the least recently used');
    assert.deepEqual(cache.get('a'), ['1', '2']);
    assert.deepEqual(cache.get('c'), ['1', '2']);
    assert.equal(cache.weight, 4);
  });

  it('does not keep a value heavier than the whole cache, nor count a replaced value twice', () => {
    const cache = new LruCache<string, number>(3, (value) => value);
    cache.set('big', 4);
    assert.equal(cache.get('big'), undefined);
    cache.set('x', 2);
    cache.set('x', 3);
    assert.equal(cache.weight, 3);
    assert.equal(cache.size, 1);
    cache.clear();
    assert.equal(cache.weight, 0);
  });
});
