import { BootwrightError } from '../../errors.js';

export interface TemplateSource {
  /** The file name shown in errors and problems. */
  name: string;
  text: string;
}

export interface TemplateHost {
  /** The snippet $SNIPPET('name') or SNIPPET::name refers to; undefined when there is none. */
  loadSnippet(name: string): TemplateSource | undefined;
  /** The file `#include "path"` or `#include raw "path"` refers to; undefined when there is none. */
  loadInclude(path: string): TemplateSource | undefined;
}

export interface TemplateProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/**
 * verbatim: what Cobbler does (it prepends `#errorCatcher ListErrors`): a $placeholder naming something undefined
 * is written out as it stands in the template and recorded as a problem. error: it fails the render instead.
 * Either way an undefined name in a directive (#if $nope) fails the render, as it does in Cobbler.
 */
export interface RenderOptions {
  undefinedVariables: 'verbatim' | 'error';
  /**
   * Given when the variables are shared with other renders and must not change: each list or dictionary among them
   * is copied by this on its first lookup in the render (the same copy for every name it goes by), so that a
   * template may still change what it is given. Renders that touch a handful of the variables' thirty lists and
   * dictionaries then copy only those.
   */
  copyOnFirstLookup?: (container: object) => unknown;
}

export interface RenderResult {
  output: string;
  problems: TemplateProblem[];
}

/** A $SNIPPET the host does not have. The caller can catch it and say where it looked. */
export class MissingSnippetError extends BootwrightError {
  constructor(
    readonly snippet: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {
    super('E_TEMPLATE', `${file}:${line}:${column}: snippet ${JSON.stringify(snippet)} not found`);
    this.name = 'MissingSnippetError';
  }
}
