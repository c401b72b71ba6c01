import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface Assets {
  js: string;
  css: string;
}

const entry = (name: string) => fileURLToPath(new URL(`./web/${name}`, import.meta.url));

/**
 * The console's front-end, bundled at start-up into memory by esbuild from src/console/web/ and the
 * CodeMirror packages in node_modules: no build step for the user, no CDN, nothing written to disk.
 */
export async function bundleAssets(): Promise<Assets> {
  const result = await build({
    entryPoints: [entry('main.ts'), entry('console.css')],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: '/console',
    logLevel: 'silent',
  });
  const file = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))!.text;
  return { js: file('.js'), css: file('.css') };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page shell: the bundled script builds the rest. */
export const consolePage = () => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>skysift console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/console/app.css"></head>
<body><div id="app"></div><script type="module" src="/console/app.js"></script></body></html>`;

/** The login form: a plain form post, so it works before any script runs. */
export const loginPage = (problem?: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>skysift console: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;background:#f4f5f7}form{background:#fff;padding:2em;border-radius:8px;box-shadow:0 1px 4px #0002;display:grid;gap:.6em;min-width:20em}.problem{color:#b00020}</style></head>
<body class="login"><form method="post" action="/console/login">
<h1>skysift console</h1>
<label for="token">Console token (<code>CONSOLE_TOKEN</code>)</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
${problem ? `<p class="problem">${escapeHtml(problem)}</p>` : ''}
<button type="submit">Log in</button>
</form></body></html>`;
