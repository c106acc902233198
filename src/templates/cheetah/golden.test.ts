// The golden corpus: every golden/NAME.tmpl (with NAME.json as its variables, snippets from golden/snippets/ and
// includes from golden/) is rendered by the real Cheetah 3 (python3-cheetah, driven the way Cobbler drives it, by
// cheetah-reference.py) and by bootwright, and the two outputs must be identical to the byte. Nothing is stored:
// the reference output is produced live, so the corpus cannot drift from what Cheetah does.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { renderCheetah, type TemplateHost } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const goldenDir = join(here, 'golden');
const cases = readdirSync(goldenDir)
  .filter((entry) => entry.endsWith('.tmpl'))
  .map((entry) => entry.slice(0, -'.tmpl'.length))
  .sort();

interface Reference {
  output?: string;
  leftAsWritten?: string[] | null;
  error?: string;
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

const host: TemplateHost = {
  loadSnippet: (name) => {
    const text = readIfExists(join(goldenDir, 'snippets', name));
    return text === undefined ? undefined : { name: `snippets/${name}`, text };
  },
  loadInclude: (path) => {
    const text = readIfExists(join(goldenDir, path));
    return text === undefined ? undefined : { name: path, text };
  },
};

describe('golden corpus: bootwright renders what Cheetah 3 renders, byte for byte', () => {
  let reference: Record<string, Reference> = {};

  before(async () => {
    // One Python process renders the whole corpus; starting Cheetah once per case would dominate the run time.
    const python = '/usr/bin/python3';
    const script = join(here, 'cheetah-reference.py');
    const { stdout } = await promisify(execFile)(python, [script, goldenDir], {
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: Error) => {
      throw new Error(
        `the golden tests need ${python} with Cheetah 3 (apt-get install python3-cheetah): ${error.message}`,
      );
    });
    reference = JSON.parse(stdout) as Record<string, Reference>;
  });

  it('has at least 25 cases', () => {
    assert.ok(cases.length >= 25, `only ${cases.length} golden cases`);
  });

  for (const name of cases) {
    it(name, () => {
      const expected = reference[name];
      assert.ok(expected, `Cheetah produced nothing for ${name}`);
      assert.equal(expected.error, undefined, `Cheetah could not render ${name}: ${expected.error}`);
      const variablesText = readIfExists(join(goldenDir, `${name}.json`));
      const variables =
        variablesText === undefined ? {} : (JSON.parse(variablesText) as Record<string, unknown>);
      const file = `${name}.tmpl`;
      const result = renderCheetah(
        { name: file, text: readFileSync(join(goldenDir, file), 'utf8') },
        variables,
        host,
      );
      assert.equal(result.output, expected.output);
      // The placeholders the main template left as written, as Cheetah's ListErrors recorded them.
      if (expected.leftAsWritten === null) return;
      const leftAsWritten = result.problems
        .filter((problem) => problem.file === file)
        .map((problem) =>
          JSON.parse(/^("(?:[^"\\]|\\.)*") was left as written/.exec(problem.message)?.[1] ?? 'null'),
        );
      assert.deepEqual(leftAsWritten, expected.leftAsWritten);
    });
  }
});
