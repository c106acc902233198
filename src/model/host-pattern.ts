// The host name patterns of role rules: a glob such as `web*.example.org` (Cobbler's fnmatch, case-insensitive,
// the whole name), or a regular expression written between slashes, `/^web\d+\./`, matched as written (add the
// `i` flag to ignore case). Patterns are checked when a rule is written, so a classifier request never meets a
// broken one.

import { invalid, quote } from '../errors.js';
import { compileGlob, type Glob } from './glob.js';

export interface HostPattern {
  kind: 'glob' | 'regex';
  /** The pattern as stored, e.g. `web*.example.org` or `/^web\d+\./`. */
  text: string;
  /** Tests a whole host name: the compiled glob, or the regular expression. */
  matcher: Glob;
}

// Letters, digits, dots and dashes of host names, plus the glob's own * ? [ ] !.
const globCharacters = /^[A-Za-z0-9_.*?[\]!-]+$/;
const regexForm = /^\/(.*)\/([a-z]*)$/s;
const allowedFlags = new Set(['i']);

/** Parses a stored or typed pattern; throws one sentence naming the bad pattern and how to write it. */
export function compileHostPattern(pattern: string, what = '--pattern'): HostPattern {
  const text = pattern.trim();
  if (text.startsWith('/')) {
    const form = regexForm.exec(text);
    if (!form || text.length < 2) {
      throw invalid(
        `${what} ${quote(text)} starts with "/" but does not end with one; write a regular expression as /^web\\d+\\./ or a glob without slashes.`,
      );
    }
    const [, body = '', flags = ''] = form;
    const badFlag = [...flags].find((flag) => !allowedFlags.has(flag));
    if (badFlag !== undefined) {
      throw invalid(`${what} ${quote(text)} has flag ${quote(badFlag)}; only "i" (ignore case) is allowed.`);
    }
    if (body === '') throw invalid(`${what} ${quote(text)} is an empty regular expression.`);
    try {
      return { kind: 'regex', text, matcher: new RegExp(body, flags) };
    } catch (error) {
      const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
      throw invalid(`${what} ${quote(text)} is not a valid regular expression: ${reason}.`);
    }
  }
  if (!globCharacters.test(text)) {
    throw invalid(
      `${what} ${quote(text)} is not a host name glob: use letters, digits, . - and the wildcards * ? [...], or write a regular expression between slashes.`,
    );
  }
  return { kind: 'glob', text, matcher: compileGlob(text, what) };
}

/** What a person reads: `glob "web*.example.org"` or `regular expression /^web\d+\./`. */
export function describeHostPattern(pattern: HostPattern): string {
  return pattern.kind === 'glob' ? `glob ${quote(pattern.text)}` : `regular expression ${pattern.text}`;
}
