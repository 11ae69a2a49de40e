'use strict';
const { LruCache } = require('./lru-cache');

/** Cosine similarity of two vectors of the same length. */
function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * Splits a document into chunks of whole sentences, at most `maxWords` words each (a sentence
 * longer than that is a chunk of its own), and at most `maxChunks` chunks.
 */
function chunkText(text, { maxWords = 40, maxChunks = 200 } = {}) {
  const sentences = String(text).split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter(Boolean);
  const chunks = [];
  let current = [];
  let count = 0;
  for (const sentence of sentences) {
    const n = sentence.split(/\s+/).length;
    if (current.length > 0 && count + n > maxWords) {
      chunks.push(current.join(' '));
      current = [];
      count = 0;
    }
    current.push(sentence);
    count += n;
    if (chunks.length >= maxChunks) break;
  }
  if (current.length > 0 && chunks.length < maxChunks) chunks.push(current.join(' '));
  return chunks;
}

/**
 * An in-memory vector store, one namespace per tenant: a query only ever sees its own tenant's
 * documents. Bounded: `maxTenants` namespaces (least recently used evicted), `maxChunks` chunks
 * per tenant. Search is exact (a scan), which is fine for a few thousand chunks.
 */
class VectorStore {
  constructor({ maxTenants = 1000, maxChunks = 5000 } = {}) {
    this.tenants = new LruCache(maxTenants);
    this.maxChunks = maxChunks;
  }

  /** Replaces the chunks of `documentId` for `tenantId`. */
  upsert(tenantId, documentId, title, chunks, vectors) {
    if (chunks.length !== vectors.length) throw new Error(`got ${vectors.length} vectors for ${chunks.length} chunks`);
    let documents = this.tenants.get(tenantId);
    if (documents === undefined) this.tenants.set(tenantId, (documents = new Map()));
    const others = [...documents.entries()].filter(([id]) => id !== documentId).reduce((n, [, d]) => n + d.chunks.length, 0);
    if (others + chunks.length > this.maxChunks) {
      throw Object.assign(new Error(`tenant ${tenantId} would exceed ${this.maxChunks} chunks`), { status: 507, expose: true });
    }
    documents.set(documentId, { title, chunks: chunks.map((text, i) => ({ text, vector: vectors[i] })) });
    return chunks.length;
  }

  /** The `topK` chunks most similar to `vector`, best first, with their cosine similarity. */
  search(tenantId, vector, topK = 3) {
    const documents = this.tenants.get(tenantId);
    if (documents === undefined) return [];
    const scored = [];
    for (const [documentId, document] of documents) {
      document.chunks.forEach((chunk, index) => {
        scored.push({ documentId, title: document.title, chunk: index, text: chunk.text, score: cosine(vector, chunk.vector) });
      });
    }
    return scored
      .filter((hit) => hit.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, topK)
      .map((hit) => ({ ...hit, score: Math.round(hit.score * 1000) / 1000 }));
  }
}

module.exports = { VectorStore, chunkText, cosine };
