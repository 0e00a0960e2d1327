import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText, stripControl } from '../src/importers/html.js';

describe('htmlToText', () => {
  it('turns br, div, p and li into line breaks and strips other tags', () => {
    expect(htmlToText('one<br>two<br/>three<div>four</div><p>five</p><ul><li>a</li><li>b</li></ul>')).toBe(
      'one\ntwo\nthree\nfour\nfive\na\nb',
    );
    expect(htmlToText('<b>bold</b> and <span style="color:red">red</span>')).toBe('bold and red');
  });

  it('breaks lines the way a browser shows them', () => {
    expect(htmlToText('<div>a</div><div><br></div><div>b</div>')).toBe('a\n\nb');
    expect(htmlToText('<div>a<br></div><div>b</div>')).toBe('a\nb');
    expect(htmlToText('<div><b>x</b></div><div><span></span></div>y')).toBe('x\ny');
  });

  it('treats source newlines and runs of spaces as one space, as HTML does', () => {
    expect(htmlToText('a\n  b\t\tc')).toBe('a b c');
    expect(htmlToText('<span class=jp> 月 </span><br>\nMontag')).toBe('月\nMontag');
  });

  it('collapses runs of blank lines to one', () => {
    expect(htmlToText('a<br><br><br><br>b<div></div><div></div>')).toBe('a\n\nb');
  });

  it('decodes named, decimal and hexadecimal entities', () => {
    expect(htmlToText('&lt;tag&gt; &amp; &quot;q&quot; caf&eacute; &#233;&#xE9;&#X1F600; a&nbsp;b &unknown;')).toBe(
      '<tag> & "q" café éé😀 a b &unknown;',
    );
    expect(decodeEntities('&#0;&#xD800;&#x110000;')).toBe('\ufffd\ufffd\ufffd');
  });

  it('keeps a literal < that is not a tag', () => {
    expect(htmlToText('1 < 2 and 3 > 2')).toBe('1 < 2 and 3 > 2');
  });

  it('drops script, style and comments; names images and sounds', () => {
    expect(htmlToText('x<script>alert(1)</script><style>.a{}</style><!-- c -->y[sound:hola.mp3]z')).toBe('xy[sound: hola.mp3]z');
    expect(htmlToText('see <img src="paste-123.jpg"> and <img alt=x src=\'dir/b&amp;w.png\'/>')).toBe(
      'see [image: paste-123.jpg] and [image: b&w.png]',
    );
  });

  it('removes escape sequences and control characters, also when written as entities', () => {
    expect(htmlToText('a\u001b[2Jb\u001b]0;title\u0007c&#27;[31md\u0000e\u202ef')).toBe('abcdef');
    expect(htmlToText('tab&#9;kept')).toBe('tab\tkept');
  });
});

describe('stripControl', () => {
  it('keeps newlines and tabs, normalises CRLF, drops the rest', () => {
    expect(stripControl('a\r\nb\tc\u0008\u007f\u0085d\u001b[1me')).toBe('a\nb\tcde');
  });
});
