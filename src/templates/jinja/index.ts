// Templates whose first line names Jinja (`#template=jinja2`) render through bootwright's own Jinja engine, which
// renders what Jinja 3 renders in the environment Cobbler 3.3 makes (checked against python3-jinja2 by
// corpus.test.ts). Includes and imports resolve through the template library, snippets first, so that
// `{% include "network_config" %}` finds the per-system, per-profile and per-distro variants in Cobbler's order.

import { BootwrightError } from '../../errors.js';
import type { TemplateProblem } from '../cheetah/index.js';
import type { SnippetContext, TemplateLibrary } from '../library.js';
import { JinjaRenderError, JinjaRenderer, type LoadedTemplate } from './evaluate.js';
import { JinjaSyntaxError, parseJinja } from './parser.js';

/**
 * The language a template's first line names, by Cobbler's rule (templar.py): a first line starting with
 * `#template=` names it, compared in lower case and without surrounding white space (Cobbler then drops that line).
 * Undefined when the first line names none, which means Cheetah.
 */
export function declaredLanguage(text: string): string | undefined {
  if (!text.startsWith('#template=')) return undefined;
  const newline = text.indexOf('\n');
  const firstLine = newline === -1 ? text : text.slice(0, newline);
  return (firstLine.split('=')[1] ?? '').trim().toLowerCase();
}

export interface JinjaResult {
  text: string;
  /** Undefined variables written as '' (what Jinja does), with where they are. */
  problems: TemplateProblem[];
}

function parse(name: string, text: string, firstLine = 1): LoadedTemplate {
  try {
    return { name, nodes: parseJinja(text, firstLine) };
  } catch (error) {
    if (error instanceof JinjaSyntaxError) {
      throw new BootwrightError('E_TEMPLATE', `${name}:${error.line}: ${error.message}.`);
    }
    throw error;
  }
}

export function renderJinja(
  fileName: string,
  text: string,
  variables: Record<string, unknown>,
  library: TemplateLibrary,
  context: SnippetContext,
  strict: boolean,
): JinjaResult {
  const newline = text.indexOf('\n');
  const main = parse(fileName, newline === -1 ? '' : text.slice(newline + 1), 2);
  const loaded = new Map<string, LoadedTemplate | undefined>();
  // Cobbler's jinja2 FileSystemLoader reads an included file as it is: a `#template=` line in it is plain text.
  const load = (name: string): LoadedTemplate | undefined => {
    if (!loaded.has(name)) {
      let file = library.snippet(name, context);
      if (!file) {
        try {
          file = library.template(name);
        } catch {
          file = undefined;
        }
      }
      loaded.set(name, file ? parse(file.name, file.text) : undefined);
    }
    return loaded.get(name);
  };
  const renderer = new JinjaRenderer(
    { load, describeMissing: (name) => library.describeSnippetSearch(name, context) },
    strict,
    fileName,
  );
  try {
    const output = renderer.render(main.nodes, variables);
    const problems = renderer.undefinedUses.map((use) => ({ ...use, column: 1 }));
    return { text: output, problems };
  } catch (error) {
    if (error instanceof JinjaRenderError) {
      throw new BootwrightError('E_TEMPLATE', `${error.file}:${error.line}: ${error.message}.`);
    }
    throw error;
  }
}
