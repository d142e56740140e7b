#!/usr/bin/env node
// Initial JavaScript of the viewer and editor routes, gzip, from the Vite build manifest.
//
// "Initial" = what the browser must download before the route renders: the entry chunk with its
// static imports, plus the route's lazy module with its static imports (dynamic imports inside
// them, loaded later, are not counted). Sizes are gzip level 9 of each built file.
//
// Usage: node bench/bundle-size.mjs [--no-build] [--json]
// Exit code 1 when a route exceeds its target (viewer < 200 KB, editor < 450 KB).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'apps/web');
const args = new Set(process.argv.slice(2));

if (!args.has('--no-build')) {
  const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
    cwd: web,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const dist = join(web, 'dist');
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));

const ROUTES = [
  {
    name: 'viewer',
    path: '/view/:workspaceId/:appId',
    module: 'src/features/viewer/app-viewer-page.tsx',
    targetKb: 200,
  },
  {
    name: 'editor',
    path: '/w/:workspaceId/apps/:appId/edit',
    module: 'src/features/editor/app-editor-page.tsx',
    targetKb: 450,
  },
];

/** Every chunk key reachable from `key` through static imports. */
function staticClosure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key]?.imports ?? []) staticClosure(dep, seen);
  return seen;
}

const gzipCache = new Map();
function gz(file) {
  if (!gzipCache.has(file)) {
    const buf = readFileSync(join(dist, file));
    gzipCache.set(file, { raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length });
  }
  return gzipCache.get(file);
}

const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
if (!entryKey) throw new Error('No entry in the manifest');

const results = ROUTES.map((route) => {
  if (!manifest[route.module])
    throw new Error(`${route.module} is not a chunk: is the route lazy?`);
  const keys = new Set([...staticClosure(entryKey), ...staticClosure(route.module)]);
  const files = [...keys].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
  const css = [...new Set([...keys].flatMap((k) => manifest[k].css ?? []))];
  const sum = (list) =>
    list.reduce((a, f) => ({ raw: a.raw + gz(f).raw, gzip: a.gzip + gz(f).gzip }), {
      raw: 0,
      gzip: 0,
    });
  const js = sum(files);
  const styles = sum(css);
  return {
    route: route.name,
    path: route.path,
    jsFiles: files.length,
    jsRawKb: +(js.raw / 1024).toFixed(1),
    jsGzipKb: +(js.gzip / 1024).toFixed(1),
    cssGzipKb: +(styles.gzip / 1024).toFixed(1),
    targetKb: route.targetKb,
    ok: js.gzip / 1024 < route.targetKb,
    chunks: files.map((f) => `${f} (${(gz(f).gzip / 1024).toFixed(1)} KB)`),
  };
});

if (args.has('--json')) {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} else {
  process.stdout.write(
    '| route | path | JS files | JS raw (KB) | JS gzip (KB) | CSS gzip (KB) | target | ok |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|---|---|\n');
  for (const r of results) {
    process.stdout.write(
      `| ${r.route} | \`${r.path}\` | ${r.jsFiles} | ${r.jsRawKb} | **${r.jsGzipKb}** | ${r.cssGzipKb} | < ${r.targetKb} | ${r.ok ? 'yes' : 'NO'} |\n`,
    );
  }
  for (const r of results) process.stdout.write(`\n${r.route}: ${r.chunks.join(', ')}\n`);
  const editorOnly = ['codemirror', 'grid-layout'];
  const viewer = results.find((r) => r.route === 'viewer');
  const leaked = viewer.chunks.filter((c) => editorOnly.some((e) => c.includes(`assets/${e}-`)));
  process.stdout.write(
    `\nviewer loads editor-only chunks: ${leaked.length ? leaked.join(', ') : 'none'}\n`,
  );
  if (leaked.length) process.exitCode = 1;
}
if (results.some((r) => !r.ok)) process.exitCode = 1;
