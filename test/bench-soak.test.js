'use strict';
// The soak's "RSS levels off" verdict (bench/lib/soak.js): a leak must fail it, the GC's
// sawtooth must not.
const assert = require('node:assert/strict');
const { rssLevel } = require('../bench/lib/soak');

const MB = 1024 * 1024;
const mb = (values) => values.map((v) => v * MB);

describe('bench --soak: rssLevel()', () => {
  it('passes a bounded sawtooth whose last sample jumps (the run the two-sample check failed)', () => {
    const level = rssLevel(mb([170.6, 172.3, 159.9, 150.6, 148.9, 177.0]));
    assert.equal(level.firstHalfPeak, 172.3 * MB);
    assert.equal(level.secondHalfPeak, 177.0 * MB);
    assert.ok(level.growth > 0.02 && level.growth < 0.03, `growth ${level.growth}`);
  });

  it('fails a steady climb of 7% per sample, which the two-sample check passed', () => {
    const climb = [100, 107, 114.5, 122.5, 131.1, 140.3];
    assert.ok(rssLevel(mb(climb)).growth > 0.1);
  });

  it('reads a flat series as no growth', () => {
    assert.equal(rssLevel(mb([150, 150, 150, 150])).growth, 0);
  });
});
