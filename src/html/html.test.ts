import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { html, raw } from './html.js';

describe('html template tag', () => {
  it('escapes interpolated text, including quotes in attributes', () => {
    const value = `"><script>alert('x')</script>&`;
    assert.equal(html`<a title="${value}">${value}</a>`.value, '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</a>');
  });

  it('nests safe fragments and arrays without double escaping; drops null, undefined and false', () => {
    const items = ['a<', 'b'].map((t) => html`<li>${t}</li>`);
    assert.equal(html`<ul>${items}${null}${undefined}${false}${raw('<hr>')}</ul>`.value, '<ul><li>a&lt;</li><li>b</li><hr></ul>');
    assert.equal(html`${0}`.value, '0');
  });
});
