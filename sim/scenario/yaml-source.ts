import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { InputError } from '../common/errors.ts';

/** A parsed YAML file that can map a path inside it back to line:col. */
export class YamlSource {
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly value: unknown;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    if (this.doc.errors.length > 0) {
      const e = this.doc.errors[0]!;
      const pos = this.lines.linePos(e.pos[0]);
      const what = e.message.split('\n')[0];
      throw new InputError(`${displayPath(file)}:${pos.line}:${pos.col}: broken YAML: ${what}`);
    }
    this.value = this.doc.toJS({ maxAliasCount: 1000 }) ?? {};
  }

  static read(file: string): YamlSource {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputError(`${displayPath(file)}:1:1: cannot read the file (${code === 'ENOENT' ? 'no such file' : code ?? String(e)})`);
    }
    return new YamlSource(file, text);
  }

  /** Whether the document defines this path. */
  has(path: readonly (string | number)[]): boolean {
    return path.length === 0 || this.doc.hasIn(path);
  }

  /**
   * `file:line:col` of the deepest node along `path` (the key for a missing
   * child, the value for a present one).
   */
  locate(path: readonly (string | number)[]): string {
    let offset = 0;
    for (let k = path.length; k >= 0; k--) {
      const sub = path.slice(0, k);
      const node = sub.length === 0 ? this.doc.contents : (this.doc.getIn(sub, true) as { range?: [number, number, number] } | undefined);
      if (node && typeof node === 'object' && 'range' in node && node.range) {
        offset = node.range[0];
        break;
      }
    }
    const pos = this.lines.linePos(offset);
    return `${displayPath(this.file)}:${pos.line}:${pos.col}`;
  }
}

export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}
