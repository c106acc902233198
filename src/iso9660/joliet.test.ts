import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJolietName, decodeJolietText, decodeUcs2, jolietLevel } from './joliet.js';

function ucs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

describe('Joliet', () => {
  it('tells the UCS-2 level from the escape sequences, and nothing else', () => {
    assert.equal(jolietLevel(Buffer.from('%/@')), 1);
    assert.equal(jolietLevel(Buffer.from('%/C')), 2);
    assert.equal(jolietLevel(Buffer.from('%/E')), 3);
    assert.equal(jolietLevel(Buffer.from('%/F')), undefined);
    assert.equal(jolietLevel(Buffer.alloc(32)), undefined);
  });

  it('decodes big-endian names, drops the ";1" version and a trailing dot', () => {
    assert.equal(decodeJolietName(ucs2('Mixed Case Ünïcødé 名前.txt;1')), 'Mixed Case Ünïcødé 名前.txt');
    assert.equal(decodeJolietName(ucs2('vmlinuz')), 'vmlinuz');
    assert.equal(decodeJolietName(ucs2('README.;1')), 'README');
    assert.equal(decodeJolietName(ucs2('a;b')), 'a;b');
  });

  it('keeps UTF-16 surrogate pairs and drops an odd trailing byte', () => {
    assert.equal(decodeUcs2(ucs2('boot 🚀')), 'boot 🚀');
    assert.equal(decodeUcs2(Buffer.concat([ucs2('ab'), Buffer.from([0x00])])), 'ab');
  });

  it('trims the padding of descriptor fields', () => {
    assert.equal(
      decodeJolietText(Buffer.concat([ucs2('Fedora-S-dvd'), ucs2('   '), Buffer.alloc(4)])),
      'Fedora-S-dvd',
    );
  });
});
