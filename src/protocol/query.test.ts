import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeBracketQuery, parseBracketQuery } from './query.js';

describe('bracket queries', () => {
  it('encodes nested filters and lists the way the Go client does', () => {
    const text = encodeBracketQuery({ filter: { ids: [1, 2], customFields: { nps: { min: 5 } }, none: undefined }, limit: 20 });
    assert.equal(decodeURIComponent(text), 'filter[ids][]=1&filter[ids][]=2&filter[customFields][nps][min]=5&limit=20');
  });

  it('reads both list styles (a[]= and PHP\'s a[0]=) and round-trips what it encodes', () => {
    assert.deepEqual(parseBracketQuery('filter%5Bids%5D%5B0%5D=1&filter%5Bids%5D%5B1%5D=2&page=3'), { filter: { ids: ['1', '2'] }, page: '3' });
    assert.deepEqual(parseBracketQuery('filter[ids][]=1&filter[sinceId]=20'), { filter: { ids: ['1'], sinceId: '20' } });
    const encoded = encodeBracketQuery({ filter: { numbers: ['A 1', 'B&2'], site: 'main' } });
    assert.deepEqual(parseBracketQuery(encoded), { filter: { numbers: ['A 1', 'B&2'], site: 'main' } });
  });

  it('ignores hostile names: prototype keys, malformed brackets, too deep', () => {
    const parsed = parseBracketQuery('__proto__[x]=1&a[constructor]=2&b]=3&c[1][2][3][4][5][6]=4&ok=5');
    assert.deepEqual(parsed, { ok: '5' });
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});
