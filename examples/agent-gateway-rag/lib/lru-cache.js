'use strict';

/**
 * A bounded least-recently-used cache on a Map (a Map iterates in insertion order, so the first
 * key is the least recently used once every hit re-inserts its key).
 */
class LruCache {
  constructor(maxEntries = 500) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.maxEntries = maxEntries;
    this.entries = new Map();
  }

  get(key) {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key);
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key, value) {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value);
  }

  get size() {
    return this.entries.size;
  }
}

module.exports = { LruCache };
