// Rendering autoinstall files (kickstart, preseed, autoinstall user-data, AutoYaST) for a system or a profile, from
// the store, on every request. Cheetah unless the template's first line says `#template=jinja2`.

import { BootwrightError, quote } from '../errors.js';
import type { RenderBackend, ValidationResult } from '../inventory/backend.js';
import type { Inventory } from '../inventory/inventory.js';
import { RememberedViews } from '../inventory/remembered-views.js';
import type { RepoMirrors } from '../mirror/contract.js';
import { neverSyncedProblem, servedFromMirror } from '../mirror/reposync.js';
import { copyContainers } from '../model/blend.js';
import type { KvDict } from '../model/kinds.js';
import { substituteAtAt } from '../model/rendered.js';
import type { AutoinstallSecrets } from './autoinstall-secrets.js';
import {
  MissingSnippetError,
  renderCheetah,
  type TemplateHost,
  type TemplateProblem,
  type TemplateSource,
} from './cheetah/index.js';
import { type AutoinstallTarget, addAutoinstallSecret } from './install-urls.js';
import { declaredLanguage, renderJinja } from './jinja/index.js';
import { lstripPython } from './jinja/parser.js';
import type { SnippetContext, TemplateFile, TemplateLibrary } from './library.js';
import { templateVariables } from './variables.js';

export interface RenderedFile {
  template: string;
  text: string;
  /** Undefined variables left as written (Cobbler's behaviour), with where they are. */
  problems: TemplateProblem[];
}

export type { ValidationResult } from '../inventory/backend.js';

export interface RenderOptions {
  /** Undefined variables are errors instead of being left verbatim (validate-autoinstalls). */
  strict?: boolean;
  /** The variables are the kept ones (Cheetah only): what the template looks up is copied, the rest untouched. */
  variablesShared?: boolean;
}

function describe(target: AutoinstallTarget): string {
  return `${target.kind.charAt(0).toUpperCase()}${target.kind.slice(1)} ${quote(target.name)}`;
}

/** `$tree` is undefined for a distro added by hand with no install tree: what to give it (the installer needs one). */
function treeHint(distro: string): string {
  const edit = `bootwright distro edit --name=${distro || 'DISTRO'}`;
  return `; distro ${quote(distro)} has no install tree: give it one with \`${edit} --tree-source=ISO_OR_DIRECTORY\` (served by bootwright) or \`${edit} --autoinstall-meta="tree=URL"\``;
}

/**
 * As many as the inventory keeps blended views (inventory/resolution.ts), for the same reason. Each set is about
 * 5 KB: with the blended views below them, 10,000 systems rendered keep about 90 MiB.
 */
const rememberedVariablesCap = 16_384;

/**
 * A snippet as the Cheetah engine takes it, one object per snippet file read: the engine finds its parsed form by
 * the text and then the name, and a name that is the very string it compared before compares at once.
 */
const snippetSources = new WeakMap<TemplateFile, TemplateSource>();

function snippetSource(snippet: TemplateFile): TemplateSource {
  let source = snippetSources.get(snippet);
  if (source === undefined) {
    source = { name: `snippets/${snippet.name}`, text: snippet.text };
    snippetSources.set(snippet, source);
  }
  return source;
}

export class AutoinstallRenderer implements RenderBackend {
  constructor(
    private readonly inventory: Inventory,
    readonly library: TemplateLibrary,
    /** Gives each object the secret its URLs carry while the autoinstall_secrets setting is on. */
    readonly secrets?: AutoinstallSecrets,
    /** Tells validateAll which mirrored repos were never synced; without it, repos are not looked at. */
    private readonly mirrors?: Pick<RepoMirrors, 'currentDir'>,
  ) {}

  /** Template variables by kind and name, kept while the inventory version stands. */
  readonly #variables = new RememberedViews(rememberedVariablesCap);

  /**
   * What `inventory.blended` gives plus the template variables on top (kernel options, URLs, repo stanzas, the
   * secret), a fresh set the caller and its template may change. They are derived once per object while the
   * inventory version stands: every autoinstall request asks, for any of thousands of systems.
   */
  async variables(target: AutoinstallTarget): Promise<Record<string, unknown>> {
    const version = await this.inventory.inventoryVersion();
    return this.#variables.get(version, `${target.kind}:${target.name}`, () => this.deriveVariables(target));
  }

  /** The variables as kept: never to be changed, nor handed to anything that may change them. */
  private async sharedVariables(target: AutoinstallTarget): Promise<Readonly<Record<string, unknown>>> {
    const version = await this.inventory.inventoryVersion();
    return this.#variables.shared(version, `${target.kind}:${target.name}`, () =>
      this.deriveVariables(target),
    );
  }

  private async deriveVariables(target: AutoinstallTarget): Promise<Record<string, unknown>> {
    const view = await this.inventory.blended(target.kind, target.name);
    return templateVariables(addAutoinstallSecret(view, target, this.secrets), target);
  }

  /** The autoinstall file of a system or profile, as its installer receives it. */
  async autoinstall(target: AutoinstallTarget, options: RenderOptions = {}): Promise<RenderedFile> {
    // Cheetah copies the lists and dictionaries a template looks up as it goes; the rest is read where it is kept.
    const shared = await this.sharedVariables(target);
    const templateName = String(shared.autoinstall ?? '');
    if (templateName === '') {
      throw new BootwrightError(
        'E_INVALID',
        `${describe(target)} has no autoinstall template; set --autoinstall.`,
      );
    }
    if (/^[a-z]+:\/\//.test(templateName)) {
      throw new BootwrightError(
        'E_INVALID',
        `${describe(target)} uses the remote autoinstall ${quote(templateName)}, which the installer fetches itself.`,
      );
    }
    const file = this.library.template(templateName);
    const language = declaredLanguage(file.text);
    if (language === undefined || language === 'cheetah')
      return this.renderFile(file, shared, target, { ...options, variablesShared: true });
    return this.renderFile(file, await this.variables(target), target, options);
  }

  /**
   * Renders every profile and system, as `validate-autoinstalls` does, so that a missing snippet or an
   * unknown variable shows up here rather than in the middle of an install.
   */
  async validateAll(): Promise<ValidationResult[]> {
    const results: ValidationResult[] = [];
    for (const kind of ['profile', 'system'] as const) {
      for (const object of await this.inventory.list(kind)) {
        const target: AutoinstallTarget = { kind, name: object.name };
        const result: ValidationResult = { kind, name: object.name, template: '', errors: [] };
        try {
          // Lenient rendering goes on past an unknown variable, so that every one of them is reported.
          const rendered = await this.autoinstall(target);
          result.template = rendered.template;
          for (const problem of rendered.problems) {
            const hint = /the variable "tree" is not defined/.test(problem.message)
              ? treeHint(String((await this.inventory.blended(kind, object.name)).distro_name ?? ''))
              : '';
            result.errors.push(
              `${problem.file}:${problem.line}:${problem.column}: ${problem.message}${hint}`,
            );
          }
          result.errors.push(...(await this.unsyncedRepos(target)));
        } catch (error) {
          result.errors.push(error instanceof Error ? error.message : String(error));
        }
        results.push(result);
      }
    }
    return results;
  }

  /** One line per repo of the target that installers are sent to this server for, but that has no mirror yet. */
  private async unsyncedRepos(target: AutoinstallTarget): Promise<string[]> {
    const { mirrors } = this;
    if (!mirrors) return [];
    const repos = ((await this.inventory.blended(target.kind, target.name)).repo_data ?? []) as Record<
      string,
      unknown
    >[];
    return repos
      .filter((repo) => servedFromMirror(repo) && mirrors.currentDir(String(repo.name)) === undefined)
      .map((repo) => {
        const { problem, fix } = neverSyncedProblem(String(repo.name));
        return `${problem} Fix: ${fix}.`;
      });
  }

  /** A script from the scripts directory rendered for a machine (`/cblr/svc/op/script/...?script=NAME`). */
  async script(target: AutoinstallTarget, scriptName: string): Promise<RenderedFile> {
    const variables = await this.variables(target);
    return this.renderFile(this.library.script(scriptName), variables, target, {});
  }

  /** One of the machine's template_files (`source=destination`), found by its destination path. */
  async templateFile(target: AutoinstallTarget, destination: string): Promise<RenderedFile> {
    const variables = await this.variables(target);
    const files = (variables.template_files ?? {}) as KvDict;
    const source = Object.entries(files).find(([, dest]) => dest === destination)?.[0];
    if (!source) {
      throw new BootwrightError(
        'E_NOT_FOUND',
        `${describe(target)} has no template file for ${quote(destination)}.`,
      );
    }
    return this.renderFile(this.library.template(source), variables, target, {});
  }

  renderFile(
    file: TemplateFile,
    variables: Record<string, unknown>,
    target: AutoinstallTarget,
    options: RenderOptions,
  ): RenderedFile {
    const context: SnippetContext = {
      system: target.kind === 'system' ? target.name : undefined,
      profile: String(variables.profile_name ?? '') || undefined,
      distro: String(variables.distro_name ?? '') || undefined,
    };
    const source = { name: file.name, text: file.text };
    const language = declaredLanguage(file.text);
    // Cobbler serves "# ERROR: UNSUPPORTED TEMPLATE TYPE" as the kickstart here; a sentence now is more use.
    if (language !== undefined && language !== 'jinja2' && language !== 'cheetah') {
      throw new BootwrightError(
        'E_TEMPLATE',
        `${describe(target)}: ${file.name}:1: the first line names the template language ${quote(language)}; use "#template=jinja2" or "#template=cheetah".`,
      );
    }
    if (language === 'jinja2') {
      let result: ReturnType<typeof renderJinja>;
      try {
        result = renderJinja(file.name, file.text, variables, this.library, context, options.strict === true);
      } catch (error) {
        if (error instanceof BootwrightError && error.code === 'E_TEMPLATE') {
          throw new BootwrightError('E_TEMPLATE', `${describe(target)}: ${error.message}`);
        }
        throw error;
      }
      // Cobbler's templar drops all leading white space from output that starts with a newline (for AutoYAST).
      const text = substituteAtAt(result.text, variables);
      return {
        template: file.name,
        text: text.startsWith('\n') ? lstripPython(text) : text,
        problems: result.problems,
      };
    }
    const host: TemplateHost = {
      loadSnippet: (name) => {
        const snippet = this.library.snippet(name, context);
        return snippet ? snippetSource(snippet) : undefined;
      },
      loadInclude: (path) => {
        const included = this.library.template(path);
        return { name: included.name, text: included.text };
      },
    };
    try {
      const result = renderCheetah(source, variables, host, {
        undefinedVariables: options.strict ? 'error' : 'verbatim',
        ...(options.variablesShared ? { copyOnFirstLookup: copyContainers } : {}),
      });
      return {
        template: file.name,
        // Most files hold no @@name@@ at all; looking for one is cheaper than running the substitution.
        text: result.output.includes('@@') ? substituteAtAt(result.output, variables) : result.output,
        problems: result.problems,
      };
    } catch (error) {
      if (error instanceof MissingSnippetError) {
        throw new BootwrightError(
          'E_TEMPLATE',
          `${describe(target)}: snippet ${quote(error.snippet)} not found at ${error.file}:${error.line}:${error.column} (${this.library.describeSnippetSearch(error.snippet, context)}).`,
        );
      }
      if (error instanceof BootwrightError && error.code === 'E_TEMPLATE') {
        throw new BootwrightError('E_TEMPLATE', `${describe(target)}: ${error.message}`);
      }
      throw error;
    }
  }
}
