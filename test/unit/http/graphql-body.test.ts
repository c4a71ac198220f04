import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstInvalidUtf8 } from '../../../src/http/graphql-body';

describe('firstInvalidUtf8', () => {
  it('finds the first byte that breaks UTF-8, after valid multi-byte characters', () => {
    assert.equal(firstInvalidUtf8(Buffer.from('{"a":"żółw 🐢"}')), -1);
    assert.equal(firstInvalidUtf8(Buffer.concat([Buffer.from('ż'), Buffer.from([0xff])])), 2);
    assert.equal(firstInvalidUtf8(Buffer.from([0x41, 0xc3])), 1, 'a sequence cut short');
    assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0, 'an encoded surrogate');
  });
});
