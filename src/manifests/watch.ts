import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { Logger } from '../log.ts';
import { compileManifest, manifestFiles, uniqueLabels, type CompiledManifest, type CompileOptions, type ManifestProblem } from './load.ts';

interface Entry {
  text: string;
  /** The version running: this text's, or the last good one's while this text is broken. */
  manifest?: CompiledManifest;
  /** What is wrong with this text (empty when it compiled). */
  problems: ManifestProblem[];
}

/** One manifest file as the watcher last read it: what runs, and what is wrong with what is on disk. */
export interface ManifestFileStatus {
  file: string;
  text: string;
  running?: CompiledManifest;
  /** The loader's problems with the text on disk, the duplicate label values included; empty: the text on disk runs. */
  problems: ManifestProblem[];
}

/**
 * The live manifest set of a directory. Edits are picked up as they happen: a changed file is
 * recompiled, a broken edit keeps the last good version running (and is reported), a removed file
 * stops matching. Emits `change` with the new set, `problems` with each report, and `reloaded` with the
 * set in force after every reload, changed or not.
 */
export class ManifestWatcher extends EventEmitter<{ change: [CompiledManifest[]]; problems: [ManifestProblem[]]; reloaded: [CompiledManifest[]] }> {
  private readonly entries = new Map<string, Entry>();
  private manifests: CompiledManifest[] = [];
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();
  private duplicates = new Map<string, ManifestProblem[]>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly options: CompileOptions = {},
    private readonly debounceMs = 150,
  ) {
    super();
  }

  current(): readonly CompiledManifest[] {
    return this.manifests;
  }

  /** Every file of the directory as last reloaded, in name order. */
  files(): ManifestFileStatus[] {
    const running = new Set(this.manifests);
    return [...this.entries]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([file, entry]) => ({
        file,
        text: entry.text,
        ...(entry.manifest && running.has(entry.manifest) ? { running: entry.manifest } : {}),
        problems: [...entry.problems, ...(this.duplicates.get(file) ?? [])],
      }));
  }

  async start(): Promise<CompiledManifest[]> {
    await this.reload();
    this.watcher = fs.watch(this.dir, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), this.debounceMs);
    });
    return this.manifests;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  /** Serialised so that overlapping file events never interleave two reloads. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.reloadNow()).catch((error) => this.logger.error({ err: error }, 'manifest reload failed'));
    return this.reloading;
  }

  private async reloadNow(): Promise<void> {
    const problems: ManifestProblem[] = [];
    const files = manifestFiles(this.dir);
    for (const file of [...this.entries.keys()]) if (!files.includes(file)) this.entries.delete(file);
    let changed = this.entries.size !== this.manifests.length;
    for (const file of files) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue; // removed between listing and reading: the next event reloads again
      }
      const previous = this.entries.get(file);
      if (previous?.text === text) continue;
      changed = true;
      const compiled = await compileManifest(file, text, this.options);
      const fileProblems = compiled.problems.map((p) => ({ file, ...p }));
      problems.push(...fileProblems);
      this.entries.set(file, { text, manifest: compiled.manifest ?? previous?.manifest, problems: fileProblems });
    }
    const unique = uniqueLabels([...this.entries.values()].flatMap((entry) => (entry.manifest ? [entry.manifest] : [])));
    const next = unique.manifests;
    problems.push(...unique.problems);
    this.duplicates = new Map();
    for (const problem of unique.problems) this.duplicates.set(problem.file, [...(this.duplicates.get(problem.file) ?? []), problem]);
    if (problems.length) {
      this.logger.error({ problems }, 'manifest problems: the last good version of each broken file keeps running');
      this.emit('problems', problems);
    }
    const versions = (list: CompiledManifest[]) => list.map((m) => `${m.file}@${m.version}`).join(',');
    if (changed && versions(next) !== versions(this.manifests)) {
      this.manifests = next;
      this.logger.info({ manifests: next.map((m) => m.label.value) }, 'manifests loaded');
      this.emit('change', next);
    }
    this.emit('reloaded', this.manifests);
  }
}
