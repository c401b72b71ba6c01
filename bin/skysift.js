#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx so that `npx skysift` works right after `npm ci`.
import { register } from 'tsx/esm/api';

// A reader that stops early (`skysift evaluate … | head`) closes the pipe: stop at once, saying so in one
// line instead of a stack trace, with the exit status of a process ended by SIGPIPE (128 + 13).
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.stderr.write('skysift: stopped early: the program reading its output closed the pipe (EPIPE)\n');
  process.exit(141);
});

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
