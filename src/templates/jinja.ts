// Templates whose first line is `#template=jinja2` render through nunjucks, a maintained Jinja-compatible engine.
// Includes resolve through the same library as Cheetah snippets, so `{% include "network_config" %}` finds the
// per-system, per-profile and per-distro variants in Cobbler's order.

import nunjucks from 'nunjucks';
import { BootwrightError } from '../errors.js';
import type { SnippetContext, TemplateLibrary } from './library.js';

export const jinjaMarker = /^#template=jinja2[^\n]*\n?/;

export function isJinja(text: string): boolean {
  return jinjaMarker.test(text);
}

class LibraryLoader implements nunjucks.ILoader {
  constructor(
    private readonly library: TemplateLibrary,
    private readonly context: SnippetContext,
  ) {}

  getSource(name: string): nunjucks.LoaderSource {
    const snippet = this.library.snippet(name, this.context);
    const file = snippet ?? this.library.template(name);
    return { src: file.text.replace(jinjaMarker, ''), path: file.path, noCache: true };
  }
}

export function renderJinja(
  fileName: string,
  text: string,
  variables: Record<string, unknown>,
  library: TemplateLibrary,
  context: SnippetContext,
  strict: boolean,
): string {
  const environment = new nunjucks.Environment(new LibraryLoader(library, context), {
    autoescape: false,
    throwOnUndefined: strict,
  });
  try {
    return environment.renderString(text.replace(jinjaMarker, ''), variables);
  } catch (error) {
    if (error instanceof BootwrightError) throw error;
    const message = (error as Error).message.replace(/\s+/g, ' ').trim();
    throw new BootwrightError('E_TEMPLATE', `${fileName}: ${message}`);
  }
}
