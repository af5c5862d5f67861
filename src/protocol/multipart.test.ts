import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MultipartError, multipartBoundary, parseMultipartFields } from './multipart.js';

const body = (parts: string[]) => `${parts.map((p) => `--B1\r\n${p}\r\n`).join('')}--B1--\r\n`;

describe('multipart text fields', () => {
  it('reads the boundary, quoted or not', () => {
    assert.equal(multipartBoundary('multipart/form-data; boundary=B1'), 'B1');
    assert.equal(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"'), 'a b');
    assert.equal(multipartBoundary('application/x-www-form-urlencoded'), undefined);
  });

  it('reads fields, JSON values with newlines included', () => {
    const json = '{"code":"x",\r\n"name":"Ñ"}';
    const parsed = parseMultipartFields(body([`Content-Disposition: form-data; name="integrationModule"\r\n\r\n${json}`, 'Content-Disposition: form-data; name="site"\r\nContent-Type: text/plain\r\n\r\nmain']), 'B1');
    assert.deepEqual(parsed, { integrationModule: json, site: 'main' });
  });

  it('refuses files, parts without a name, a missing closing boundary', () => {
    for (const bad of [
      body(['Content-Disposition: form-data; name="f"; filename="x.bin"\r\n\r\n..']),
      body(['Content-Disposition: form-data\r\n\r\n..']),
      body(['Content-Disposition: form-data; name="__proto__"\r\n\r\n{}']),
      '--B1\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n',
      'junk',
    ])
      assert.throws(() => parseMultipartFields(bad, 'B1'), MultipartError);
  });
});
