import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileHostPattern } from './host-pattern.js';

describe('compileHostPattern', () => {
  it('takes globs and /regular expressions/ with the i flag', () => {
    assert.equal(compileHostPattern('web*.example.org').kind, 'glob');
    assert.equal(compileHostPattern('db[0-9].example.org').matcher.test('db7.example.org'), true);
    const regex = compileHostPattern(' /^web\\d+\\./i ');
    assert.deepEqual(
      [regex.kind, regex.text, (regex.matcher as RegExp).flags],
      ['regex', '/^web\\d+\\./i', 'i'],
    );
  });

  it('refuses a broken pattern with one sentence that quotes it', () => {
    const refuses = (pattern: string, message: RegExp) =>
      assert.throws(
        () => compileHostPattern(pattern),
        (error: Error) => {
          assert.match(error.message, message);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    refuses('/^web(/', /^--pattern "\/\^web\(\/" is not a valid regular expression: Unterminated group\.$/);
    refuses('/^web', /starts with "\/" but does not end with one/);
    refuses('/web/g', /has flag "g"; only "i" \(ignore case\) is allowed/);
    refuses('//', /is an empty regular expression/);
    refuses('web 1.example.org', /is not a host name glob/);
    refuses('web$', /is not a host name glob/);
  });
});
