import { autocompletion } from '@codemirror/autocomplete';
import { json } from '@codemirror/lang-json';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorView, basicSetup } from 'codemirror';
import { api, type Problem } from './api.ts';
import { offsetOfLineColumn, rangeOf } from './json-paths.ts';
import { schemaCompletion, type JsonSchema } from './schema-completion.ts';

export interface ManifestEditor {
  view: EditorView;
  text(): string;
  /** The loader's problems with the text as last checked. */
  problems(): Problem[];
  select(from: number, to: number): void;
}

/** The loader's problems as editor diagnostics, each under the JSON path it names. */
export function diagnostics(text: string, problems: readonly Problem[]): Diagnostic[] {
  return problems.map((problem) => {
    const at = problem.path === '(file)' ? offsetOfLineColumn(text, problem.message) : undefined;
    const range = at !== undefined ? { from: Math.min(at, text.length), to: Math.min(at + 1, text.length) } : rangeOf(text, problem.path);
    return { ...range, severity: 'error', message: `${problem.path}: ${problem.message}`, source: 'skysift' };
  });
}

/**
 * CodeMirror on a manifest: JSON highlighting, completion from the manifest JSON Schema, and inline
 * errors from the service's own loader (the same checks a save and the hot reload make).
 */
export function manifestEditor(parent: HTMLElement, name: string, text: string, schema: () => JsonSchema | undefined, onChecked: (problems: Problem[], text: string) => void): ManifestEditor {
  let last: Problem[] = [];
  const check = linter(
    async (view) => {
      const current = view.state.doc.toString();
      last = (await api<{ problems: Problem[] }>(`manifests/${encodeURIComponent(name)}/validate`, { method: 'POST', body: { text: current } })).problems;
      onChecked(last, current);
      return diagnostics(current, last);
    },
    { delay: 400 },
  );
  const view = new EditorView({ doc: text, parent, extensions: [basicSetup, json(), lintGutter(), check, autocompletion({ override: [schemaCompletion(schema)] }), EditorView.lineWrapping] });
  return {
    view,
    text: () => view.state.doc.toString(),
    problems: () => last,
    select(from, to) {
      view.dispatch({ selection: { anchor: from, head: to }, scrollIntoView: true });
      view.focus();
    },
  };
}
