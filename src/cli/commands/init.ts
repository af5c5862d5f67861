/**
 * `retailcrm-module-kit init [dir]`: a new module project a person can develop, test and publish from, made from
 * the templates shipped with the package. It writes only into a folder that is missing or empty.
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliUsageError, type CliCommand } from '../cli-command.js';
import { helpText } from '../cli-help.js';

/** Template files whose real names npm would not ship (it drops `.gitignore` from packages). */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore', dockerignore: '.dockerignore' };

interface KitPackage {
  readonly version: string;
  readonly devDependencies: Readonly<Record<string, string>>;
}

function kitPackage(): KitPackage {
  // The same relative path from src/cli/commands (tsx) and dist/cli/commands (the installed package).
  return JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as KitPackage;
}

const templateDir = () => fileURLToPath(new URL('../../../templates/module/', import.meta.url));

/** An npm-style name and integration code from the folder name: lower case, digits and dashes. */
export function codeFrom(name: string): string {
  const code = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
  return code || 'my-module';
}

export interface InitResult {
  readonly dir: string;
  readonly files: readonly string[];
}

export function initProject(target: string, options: { code?: string; name?: string } = {}): InitResult {
  const dir = resolve(target);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new CliUsageError('cli.targetNotFolder', { target });
    const present = readdirSync(dir);
    if (present.length > 0)
      throw new CliUsageError('cli.targetNotEmpty', { target, present: `${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}` });
  }
  const code = options.code ?? codeFrom(basename(dir));
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(code))
    throw new CliUsageError('cli.codeInvalid', { value: code });
  const name = options.name ?? code.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase());
  const kit = kitPackage();
  const fill = (text: string) => text.replaceAll('{{code}}', code).replaceAll('{{name}}', name.replaceAll("'", '’'));
  const written: string[] = [];
  const copy = (from: string) => {
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const source = join(from, entry.name);
      if (entry.isDirectory()) {
        copy(source);
        continue;
      }
      const rel = relative(templateDir(), source);
      const out = join(dir, RENAMED[rel] ?? rel);
      mkdirSync(join(out, '..'), { recursive: true });
      writeFileSync(out, fill(readFileSync(source, 'utf8')));
      written.push(relative(dir, out));
    }
  };
  mkdirSync(dir, { recursive: true });
  copy(templateDir());
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(projectPackage(code, kit), null, 2)}\n`);
  written.push('package.json');
  return { dir, files: written.sort() };
}

function projectPackage(code: string, kit: KitPackage) {
  // Tool versions the kit itself is tested with on Node 20 (several newer releases need Node 22).
  const pin = (name: string) => kit.devDependencies[name] ?? 'latest';
  return {
    name: code,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20.19' },
    scripts: {
      dev: 'retailcrm-module-kit dev --module src/module.ts',
      test: 'tsc -p . && node --import tsx --test test/*.test.ts',
      build: 'tsc -p tsconfig.build.json',
      start: 'retailcrm-module-kit start --module dist/module.js',
    },
    dependencies: { 'retailcrm-module-kit': `^${kit.version}`, zod: `^${pin('zod')}` },
    devDependencies: { '@types/node': pin('@types/node'), tsx: pin('tsx'), typescript: pin('typescript') },
  };
}

export const initCommand: CliCommand = {
  register(program, io) {
    const say = helpText(io.locale);
    program
      .command('init')
      .argument('[dir]', say('cli.help.init.argument.dir'), '.')
      .description(say('cli.help.init.description'))
      .option('--code <code>', say('cli.help.init.option.code'))
      .option('--name <name>', say('cli.help.init.option.name'))
      .action((target: string, flags: { code?: string; name?: string }) => {
        const { dir, files } = initProject(target, flags);
        io.out(`Created a module project in ${dir}:`);
        for (const file of files) io.out(`  ${file}`);
        io.out('');
        io.out('Next:');
        if (resolve(target) !== process.cwd()) io.out(`  cd ${target}`);
        io.out('  npm install');
        io.out('  npm run dev    # the CRM emulator and your module; open the Marketplace it prints');
        io.out('  npm test       # connects your module to the emulator through its form');
      });
  },
};
