// bootwright's Cheetah: renders Cobbler kickstarts and snippets written for Cheetah 3 without running any code.
// Templates are parsed once into an AST (cached by file name and text) and rendered by walking it. golden.test.ts
// compares the output with the real Cheetah 3, driven the way Cobbler drives it, byte for byte.
//
// Where this knowingly differs from Cheetah 3 (each time because Cheetah's behaviour is an accident nobody relies on):
// - A `#word` that is not a Cheetah directive stays text, as in Cheetah: kickstarts are full of commented-out
//   commands such as `#reboot`. Directives Cheetah has but bootwright does not implement are errors.
// - Templates Cheetah cannot compile are rendered: empty #if/#for bodies, `//=`, and verbatim-mode placeholders
//   whose code ends in a quote or holds an escape (Cheetah pastes that code into a triple-quoted string).
// - $items, $keys, $get and the other dict method names find variables of those names; in Cheetah they find the
//   methods of the local-variables dict. Template attributes such as $request or $transaction are not emulated.
// - dict.has_key() works, as it did for Cobbler 2 snippets on Python 2.
// - An unclosed #* comment or #raw is an error instead of swallowing the rest of the file.
// - Numbers are JavaScript doubles: ints beyond 2^53 lose precision, and a JSON 5.0 arrives as the int 5.
import { BootwrightError } from '../../errors.js';
import type { TemplateAst } from './ast.js';
import { MissingSnippet, Renderer } from './evaluate.js';
import { parseTemplate } from './parser.js';
import { PyError } from './python-values.js';
import { TemplateText } from './source.js';
import {
  MissingSnippetError,
  type RenderOptions,
  type RenderResult,
  type TemplateHost,
  type TemplateProblem,
  type TemplateSource,
} from './types.js';

export type { RenderOptions, RenderResult, TemplateHost, TemplateProblem, TemplateSource };
export { MissingSnippetError };

const CACHE_SIZE = 256;
/** Names one text may be parsed under (two files with the same text, each named in its errors), newest kept. */
const NAMES_PER_TEXT = 16;
/**
 * Parsed templates by their text, each with the name and shorthand setting it was parsed with. The library hands
 * out the very same string while a file is unchanged and V8 keeps a string's hash, so a lookup hashes nothing and
 * compares one string with itself; an edited file is another text, parsed on its next render. (A key built from
 * the name was a new string to hash on each of the dozen lookups of a render.)
 */
interface ParsedText {
  entries: { name: string; expandSnippetShorthand: boolean; ast: TemplateAst }[];
  /** Looked up since the oldest entries were last weighed for eviction (a clock: cheaper than moving on each hit). */
  used: boolean;
}
const cache = new Map<string, ParsedText>();

/** Makes room for one more text: the oldest not used since it was last weighed goes, the others get another round. */
function evictOne(): void {
  for (const [text, parsed] of cache) {
    cache.delete(text);
    if (!parsed.used) return;
    parsed.used = false;
    cache.set(text, parsed);
  }
}

/** Parses with SNIPPET::name expanded, the way Cobbler compiles templates and snippets. */
function parseCached(source: TemplateSource, expandSnippetShorthand: boolean): TemplateAst {
  const parsed = cache.get(source.text);
  if (parsed) {
    parsed.used = true;
    for (const entry of parsed.entries)
      if (entry.name === source.name && entry.expandSnippetShorthand === expandSnippetShorthand)
        return entry.ast;
  }
  let ast: TemplateAst;
  try {
    ast = parseTemplate(new TemplateText(source.name, source.text, expandSnippetShorthand));
  } catch (error) {
    throw asTemplateError(error, source.name);
  }
  const entries = parsed?.entries ?? [];
  entries.push({ name: source.name, expandSnippetShorthand, ast });
  if (entries.length > NAMES_PER_TEXT) entries.shift();
  if (!parsed) {
    if (cache.size >= CACHE_SIZE) evictOne();
    cache.set(source.text, { entries, used: false });
  }
  return ast;
}

/** The AST of a template; throws E_TEMPLATE with file:line:column for syntax errors and unsupported directives. */
export function parseCheetah(source: TemplateSource): unknown {
  return parseCached(source, true);
}

export function renderCheetah(
  source: TemplateSource,
  variables: Record<string, unknown>,
  host: TemplateHost,
  options: RenderOptions = { undefinedVariables: 'verbatim' },
): RenderResult {
  const ast = parseCached(source, true);
  const renderer = new Renderer(
    host,
    options.undefinedVariables === 'verbatim',
    parseCached,
    options.copyOnFirstLookup,
  );
  try {
    const output = renderer.render(ast, variables);
    return { output, problems: renderer.problems };
  } catch (error) {
    throw asTemplateError(error, source.name);
  }
}

function asTemplateError(error: unknown, file: string): unknown {
  if (error instanceof BootwrightError) return error;
  if (error instanceof RangeError) {
    // JavaScript's own limits: the stack (brackets or #def calls nested thousands deep), or a string or array
    // grown past what V8 allows by a route the value limits do not see.
    const tooDeep = /call stack/i.test(error.message);
    return new BootwrightError(
      'E_TEMPLATE',
      tooDeep
        ? `${file}: the template nests too deeply to handle (${error.message})`
        : `${file}: the template builds a value too large to handle (${error.message})`,
    );
  }
  if (!(error instanceof PyError)) return error;
  const location = error.location ?? { file, line: 1, column: 1 };
  if (error instanceof MissingSnippet) {
    return new MissingSnippetError(error.snippet, location.file, location.line, location.column);
  }
  const kind = error.pyType === 'NotFound' ? '' : ` (${error.pyType})`;
  return new BootwrightError(
    'E_TEMPLATE',
    `${location.file}:${location.line}:${location.column}: ${error.message}${kind}`,
  );
}
