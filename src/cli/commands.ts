import type { Command } from './command.ts';
import { evaluate } from './commands/evaluate.ts';
import { explain } from './commands/explain.ts';
import { replay } from './commands/replay.ts';
import { manifestsSchema, manifestsValidate } from './commands/manifests.ts';
import { modelsPull } from './commands/models.ts';
import { start } from './commands/start.ts';
import { train } from './commands/train.ts';
import { declare } from './commands/declare.ts';
import { relabel } from './commands/relabel.ts';
import { setup } from './commands/setup.ts';
import { labelAdd, labelClear, labelNegate } from './commands/label.ts';
import { reportsList, reportsResolve, reportsShow } from './commands/reports.ts';

/** Every CLI command, in the order `skysift --help` lists them. */
export const commands: Command[] = [start, manifestsValidate, manifestsSchema, evaluate, explain, replay, relabel, labelAdd, labelNegate, labelClear, reportsList, reportsShow, reportsResolve, setup, declare, train, modelsPull];
