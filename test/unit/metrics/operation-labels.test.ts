import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationLabels } from '../../../src/metrics/operation-label';

describe('OperationLabels: operation names as metric labels, bounded', () => {
  it('keeps the first `max` distinct plain names, counts every later new one as other, and keeps answering the kept ones', () => {
    const labels = new OperationLabels(3);
    assert.deepEqual(
      ['A', 'B', 'A', 'C', 'D', 'E', 'B', 'C'].map((name) => labels.labelOf(name)),
      ['A', 'B', 'A', 'C', 'other', 'other', 'B', 'C'],
    );
  });

  it('names no client can turn into series: none is anonymous, a name that is not plain is invalid, and neither takes a place', () => {
    const labels = new OperationLabels(1);
    assert.deepEqual(
      [null, undefined, '', 'drop table', 'x'.repeat(65), 'Kept', 'Next'].map((name) => labels.labelOf(name)),
      ['anonymous', 'anonymous', 'anonymous', 'invalid', 'invalid', 'Kept', 'other'],
    );
  });

  it('a caller without a role claims no label: its names count as other until a caller with one has used the name', () => {
    const labels = new OperationLabels(2);
    assert.deepEqual(
      [
        ['Junk1', false],
        ['Junk2', false],
        ['Dashboard', true],
        ['Dashboard', false],
        ['Junk3', false],
        ['Board2', true],
        ['Board3', true],
      ].map(([name, claims]) => labels.labelOf(name as string, claims as boolean)),
      ['other', 'other', 'Dashboard', 'Dashboard', 'other', 'Board2', 'other'],
    );
  });

  it('2,000 distinct names from clients make at most 200 labels by default', () => {
    const labels = new OperationLabels();
    const distinct = new Set(Array.from({ length: 2000 }, (_, index) => labels.labelOf(`Card${index}x`)));
    assert.equal(distinct.size, 201);
    assert.ok(distinct.has('other'));
  });
});
