import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VersionedCache } from './versioned-cache.js';

describe('VersionedCache', () => {
  it('builds once per key while the version stands, and again once it moves', async () => {
    const cache = new VersionedCache<number>(10);
    let builds = 0;
    const build = async () => ++builds;
    assert.equal(await cache.get(1, 'a', build), 1);
    assert.equal(await cache.get(1, 'a', build), 1);
    assert.equal(await cache.get(2, 'a', build), 2);
  });

  it('keeps undefined too: a name that names nothing is not looked up again', async () => {
    const cache = new VersionedCache<string | undefined>(10);
    let builds = 0;
    const build = async () => {
      builds++;
      return undefined;
    };
    await cache.get(1, 'nope', build);
    await cache.get(1, 'nope', build);
    assert.equal(builds, 1);
  });

  it('builds again what keep refused', async () => {
    const cache = new VersionedCache<boolean>(10);
    let builds = 0;
    const build = async () => ++builds > 1;
    const keep = (value: boolean) => value;
    assert.equal(await cache.get(1, 'a', build, keep), false);
    assert.equal(await cache.get(1, 'a', build, keep), true);
    assert.equal(await cache.get(1, 'a', build, keep), true);
    assert.equal(builds, 2);
  });

  it('does not keep what was built while a newer version was seen', async () => {
    const cache = new VersionedCache<string>(10);
    let release: () => void = () => {};
    const slow = cache.get(1, 'a', () => new Promise((resolve) => (release = () => resolve('old'))));
    assert.equal(await cache.get(2, 'b', async () => 'new'), 'new');
    release();
    assert.equal(await slow, 'old');
    assert.equal(await cache.get(2, 'a', async () => 'rebuilt'), 'rebuilt');
  });

  it('drops the oldest beyond its cap', async () => {
    const cache = new VersionedCache<string>(2);
    for (const key of ['a', 'b', 'c']) await cache.get(1, key, async () => key);
    assert.equal(await cache.get(1, 'a', async () => 'again'), 'again');
    assert.equal(await cache.get(1, 'c', async () => 'again'), 'c');
  });
});
