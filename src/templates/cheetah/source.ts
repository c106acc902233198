import { BootwrightError } from '../../errors.js';

const SNIPPET_SHORTHAND = /SNIPPET::([A-Za-z0-9_\-/.]+)/g;

interface Rewrite {
  /** Where the replacement starts and ends in the rewritten text. */
  readonly start: number;
  readonly end: number;
  /** Where it started in the original text, and how much longer the rewritten text is from `end` on. */
  readonly originalStart: number;
  readonly shift: number;
}

/**
 * A template's text as the parser reads it, with positions reported in the file as the user wrote it.
 * - Line endings become \n: Cobbler reads templates and snippets as Python text files, which turns \r\n and \r
 *   into \n, so Cheetah never sees a carriage return from a template. Lines and columns do not move.
 * - Cobbler rewrites `SNIPPET::name` to `$SNIPPET('name')` before Cheetah sees the text (everywhere, even inside
 *   #raw); the parser reads the rewritten text and positions are mapped back.
 */
export class TemplateText {
  readonly text: string;
  private readonly rewrites: readonly Rewrite[];
  private readonly lineStarts: readonly number[];

  constructor(
    readonly file: string,
    original: string,
    expandSnippetShorthand: boolean,
  ) {
    const normalized = original.includes('\r') ? original.replace(/\r\n?/g, '\n') : original;
    const rewrites: Rewrite[] = [];
    let shift = 0;
    this.text = expandSnippetShorthand
      ? normalized.replace(SNIPPET_SHORTHAND, (match: string, name: string, offset: number) => {
          const replacement = `$SNIPPET('${name}')`;
          const start = offset + shift;
          shift += replacement.length - match.length;
          rewrites.push({ start, end: start + replacement.length, originalStart: offset, shift });
          return replacement;
        })
      : normalized;
    this.rewrites = rewrites;
    const starts = [0];
    for (let i = normalized.indexOf('\n'); i !== -1; i = normalized.indexOf('\n', i + 1)) starts.push(i + 1);
    this.lineStarts = starts;
  }

  originalOffset(position: number): number {
    let offset = position;
    for (const rewrite of this.rewrites) {
      if (position < rewrite.start) break;
      offset = position < rewrite.end ? rewrite.originalStart : position - rewrite.shift;
    }
    return offset;
  }

  location(position: number): { line: number; column: number } {
    const offset = this.originalOffset(position);
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.lineStarts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (this.lineStarts[low] ?? 0) + 1 };
  }

  where(position: number): string {
    const { line, column } = this.location(position);
    return `${this.file}:${line}:${column}`;
  }

  /** The E_TEMPLATE error for something wrong at `position`; `message` is one sentence without a final period. */
  error(position: number, message: string): BootwrightError {
    return new BootwrightError('E_TEMPLATE', `${this.where(position)}: ${message}`);
  }
}
