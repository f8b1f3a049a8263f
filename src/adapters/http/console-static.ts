// The web console's built files (console/dist, docs/console.md) served at /console/ by the API app:
// read once at start-up into memory with their gzip forms (the build is about 1.6 MB), hashed assets
// cached for a year, index.html never cached, every unknown path under /console/ answered with
// index.html (the single-page app routes in the browser), and a plain page saying how to build the
// console when console/dist is missing. The console's pages may load only what comes from this origin:
// the Content-Security-Policy allows 'self' and nothing inline.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm install` builds the console (scripts/build-console.mjs). */
export const consoleDistDirDefault = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

export const consoleContentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Hashed build assets never change under their name: the browser may keep them a year. */
const immutableCache = 'public, max-age=31536000, immutable';
/** index.html and settings name the current assets and the session's world: always fetched again. */
const noCache = 'no-cache';
/** The build holds ~40 files; more means the folder is not a console build. */
const filesMax = 2000;
const fileBytesMax = 8 * 1024 * 1024;
const gzipMinBytes = 1024;

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.map': 'application/json; charset=utf-8',
};

interface ServedFile {
  body: Buffer;
  gzipped: Buffer | null;
  contentType: string;
  etag: string;
  cacheControl: string;
}

export interface ConsoleStaticOptions {
  /** The built console; consoleDistDirDefault unless a test points elsewhere. */
  distDir?: string;
  /** Values the console reads at start (business time zone): served as /console/settings.json. */
  settings: { timeZone: string };
}

function servedFile(body: Buffer, path: string, cacheControl: string): ServedFile {
  const contentType = contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
  const compressible = body.length >= gzipMinBytes && /text|json|svg/.test(contentType);
  return { body, gzipped: compressible ? gzipSync(body, { level: 9 }) : null, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, cacheControl };
}

/** Every file of the build by its URL path under /console/ ("assets/index-abc.js"). */
export function readConsoleBuild(distDir: string): Map<string, ServedFile> | null {
  if (!existsSync(join(distDir, 'index.html'))) return null;
  const files = new Map<string, ServedFile>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      // .vite/manifest.json is for the size benchmark, not for browsers.
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      if (!entry.isFile()) continue;
      if (files.size >= filesMax) throw new Error(`console build ${distDir} holds more than ${filesMax} files`);
      if (statSync(full).size > fileBytesMax) continue;
      const urlPath = relative(distDir, full).split(sep).join('/');
      files.set(urlPath, servedFile(readFileSync(full), urlPath, urlPath.startsWith('assets/') ? immutableCache : noCache));
    }
  };
  walk(distDir);
  return files;
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>reswipe console not built</title></head>
<body><h1>The reswipe console was not built</h1>
<p>管理后台尚未构建。Run <code>npm install</code> (or <code>npm run build:console</code>) in the reswipe folder with its
development packages, then restart the gateway. See docs/console.md.</p></body></html>
`;

function accepts(request: FastifyRequest, encoding: string): boolean {
  const header = request.headers['accept-encoding'];
  return typeof header === 'string' && header.split(',').some((part) => part.trim().split(';')[0] === encoding);
}

function send(request: FastifyRequest, reply: FastifyReply, file: ServedFile): FastifyReply {
  reply.header('content-type', file.contentType).header('cache-control', file.cacheControl).header('etag', file.etag).header('content-security-policy', consoleContentSecurityPolicy).header('vary', 'Accept-Encoding');
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  if (file.gzipped !== null && accepts(request, 'gzip')) return reply.header('content-encoding', 'gzip').send(file.gzipped);
  return reply.send(file.body);
}

/** Registers GET /console, /console/ and /console/* on the app. */
export async function consoleStaticRoutes(app: FastifyInstance, options: ConsoleStaticOptions): Promise<void> {
  const files = readConsoleBuild(options.distDir ?? consoleDistDirDefault);
  const settings = servedFile(Buffer.from(JSON.stringify(options.settings)), 'settings.json', noCache);
  const schema = { hide: true };

  app.get('/console', { schema }, async (_request, reply) => reply.redirect('/console/', 302));
  app.get('/console/*', { schema }, async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    if (path === 'settings.json') return send(request, reply, settings);
    if (files === null) {
      return reply.code(503).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', consoleContentSecurityPolicy).send(notBuiltPage);
    }
    const file = files.get(path);
    if (file !== undefined) return send(request, reply, file);
    // A missing asset is a 404 (a stale page asking for an old hash must not get HTML as script).
    if (path.startsWith('assets/')) return reply.code(404).header('content-type', 'text/plain; charset=utf-8').send('not found');
    return send(request, reply, files.get('index.html')!);
  });
}
