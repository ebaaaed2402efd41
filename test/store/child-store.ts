// Runs the store in a separate Node process, for the one-process-per-SQLite-file guard. The store
// sources are transpiled (types stripped, nothing bundled) into a temp directory that links the
// project's node_modules, so the child runs the same code the tests import.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The store's sources and everything they import from the project, followed from src/store/index.ts. */
function sourceFiles(): string[] {
  const seen = new Set<string>();
  const visit = (rel: string): void => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const text = readFileSync(join(root, rel), 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) {
      visit(relative(root, resolve(dirname(join(root, rel)), `${m[1]}.ts`)));
    }
  };
  visit('src/store/index.ts');
  return [...seen];
}

const CHILD_MAIN = `
import { openStore } from './src/store/index.js';
const url = process.argv[2];
try {
  const store = await openStore(url);
  await store.migrate();
  // Nothing refers to the store once this body has run (as in a script that opened it and went on waiting): a full
  // collection first, then 'ready', so the tests see that the lock outlives the store object (better-sqlite3
  // closes a collected connection; the lock must stay until close or the end of the process).
  setTimeout(() => {
    globalThis.gc?.();
    process.stdout.write('ready\\n');
  }, 0);
  setInterval(() => undefined, 1 << 30);
} catch (err) {
  process.stdout.write(JSON.stringify({ code: err.code ?? null, message: err.message }) + '\\n');
  process.exit(3);
}
`;

export interface ChildBuild {
  dir: string;
  cleanup(): void;
}

export function buildChild(): ChildBuild {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-child-'));
  for (const rel of sourceFiles()) {
    const source = readFileSync(join(root, rel), 'utf8');
    const out = ts.transpileModule(source, {
      fileName: rel,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = join(dir, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(dir, 'main.js'), CHILD_MAIN);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ChildResult {
  child: ChildProcessWithoutNullStreams;
  /** The first line the child printed: 'ready', or its error as JSON. */
  firstLine: string;
}

/** Starts a child that opens the store at `url`; resolves with its first output line (bounded wait). */
export function startChild(build: ChildBuild, url: string, timeoutMs = 15_000): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--expose-gc', join(build.dir, 'main.js'), url], {
    cwd: build.dir,
    stdio: 'pipe',
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child printed nothing within ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolvePromise({ child, firstLine: out.slice(0, newline) });
      }
    });
    child.on('exit', (code) => {
      if (out.includes('\n')) return;
      clearTimeout(timer);
      reject(new Error(`child exited with ${code} before printing; stderr: ${err}`));
    });
  });
}

/** Resolves when the child has exited (with its code or signal). */
export function exited(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolvePromise) => child.once('exit', (code, signal) => resolvePromise({ code, signal })));
}
