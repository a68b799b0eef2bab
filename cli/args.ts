// A small typed flag parser for the `bas` commands: `--name value`, `--name=value`, boolean
// switches, and list flags (`--initializer_tokens creature bowl stone`). Errors name the flag.

export type FlagType = 'string' | 'number' | 'int' | 'boolean' | 'strings';

export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean | string[];
  required?: boolean;
  /** Allowed values for string flags. */
  choices?: readonly string[];
  /** A `strings` flag that may be given more than once, each time adding its values (`--validation_prompt A --validation_prompt B`). */
  repeatable?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['type'] extends 'strings'
    ? string[]
    : S['type'] extends 'number' | 'int'
      ? number
      : string;

type Always<S extends FlagSpec> = S extends { required: true } ? true : S extends { default: string | number | boolean | string[] } ? true : false;

/** Parsed values: flags with a default or marked required are always present. */
export type ParsedFlags<T extends FlagSpecs> = { [K in keyof T]: Always<T[K]> extends true ? ValueOf<T[K]> : ValueOf<T[K]> | undefined };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseFlags<T extends FlagSpecs>(argv: readonly string[], specs: T, command: string): ParsedFlags<T> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(specs)) if (s.default !== undefined) out[name] = Array.isArray(s.default) ? [...s.default] : s.default;
  parseInto(out, argv, specs, command);
  for (const [name, s] of Object.entries(specs)) {
    if (s.required && out[name] === undefined) throw new UsageError(`${command}: --${name} is required`);
  }
  return out as ParsedFlags<T>;
}

/**
 * Only the flags `argv` gives, without defaults or required ones: overrides on top of a
 * configuration built elsewhere (`bas eval --train_flags`).
 */
export function parseFlagOverrides<T extends FlagSpecs>(argv: readonly string[], specs: T, command: string): Partial<ParsedFlags<T>> {
  const out: Record<string, unknown> = {};
  parseInto(out, argv, specs, command);
  return out as Partial<ParsedFlags<T>>;
}

function parseInto(out: Record<string, unknown>, argv: readonly string[], specs: FlagSpecs, command: string): void {
  // a repeatable flag's first occurrence replaces its default, later ones add to it
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`${command}: unexpected argument "${arg}" (flags start with --)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const spec = specs[name];
    if (!spec) throw new UsageError(`${command}: unknown flag --${name} (see bas ${command} --help)`);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (spec.type === 'boolean') {
      if (inline !== undefined && !['true', 'false', '1', '0'].includes(inline)) throw new UsageError(`${command}: --${name} takes no value or true/false, got "${inline}"`);
      out[name] = inline === undefined ? true : inline === 'true' || inline === '1';
      continue;
    }
    if (spec.type === 'strings') {
      const vals: string[] = inline !== undefined ? [inline] : [];
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) vals.push(argv[++i]!);
      if (vals.length === 0) throw new UsageError(`${command}: --${name} needs at least one value`);
      out[name] = spec.repeatable && seen.has(name) ? [...(out[name] as string[]), ...vals] : vals;
      seen.add(name);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined || (inline === undefined && raw.startsWith('--') && !/^--?\d/.test(raw))) throw new UsageError(`${command}: --${name} needs a value (one that starts with -- goes after =, as in --${name}="--flag value")`);
    out[name] = convert(raw, spec, name, command);
  }
}

function convert(raw: string, spec: FlagSpec, name: string, command: string): string | number {
  if (spec.type === 'number' || spec.type === 'int') {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${command}: --${name} expects a number, got "${raw}"`);
    if (spec.type === 'int' && !Number.isInteger(v)) throw new UsageError(`${command}: --${name} expects an integer, got "${raw}"`);
    return v;
  }
  if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`${command}: --${name} must be one of ${spec.choices.join(', ')}, got "${raw}"`);
  return raw;
}

export function formatHelp(command: string, summary: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const arg = s.type === 'boolean' ? '' : s.type === 'strings' ? ' V...' : s.type === 'string' ? ' S' : ' N';
    const def = s.required ? ' (required)' : s.default !== undefined && s.default !== false ? ` (default ${Array.isArray(s.default) ? s.default.join(' ') : String(s.default)})` : '';
    return [`  --${name}${arg}`, `${s.help}${s.choices ? ` [${s.choices.join('|')}]` : ''}${s.repeatable ? ' (repeatable)' : ''}${def}`];
  });
  const width = Math.max(...rows.map((r) => r[0]!.length)) + 2;
  return [`bas ${command}: ${summary}`, '', ...rows.map(([a, b]) => a!.padEnd(width) + b)].join('\n');
}

/** The flags as a Markdown table (flag, default, what it does), as the README shows `bas train`'s. */
export function markdownFlagTable(specs: FlagSpecs): string {
  const pipes = (s: string): string => s.replace(/\|/g, '\\|');
  // outside code spans a <token> would be read as HTML
  const cell = (s: string): string => pipes(s).replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const rows = Object.entries(specs)
    .filter(([name]) => name !== 'help')
    .map(([name, s]) => {
      const arg = s.type === 'boolean' ? '' : s.type === 'strings' ? ' V...' : s.type === 'string' ? ' S' : ' N';
      const def = s.required ? 'required' : s.default !== undefined && s.default !== false ? `\`${Array.isArray(s.default) ? s.default.join(' ') || '(none)' : String(s.default)}\`` : '';
      const extra = `${s.choices ? ` (${s.choices.join(', ')})` : ''}${s.repeatable ? ' (repeatable)' : ''}`;
      return `| \`--${name}${arg}\` | ${pipes(def)} | ${cell(s.help + extra)} |`;
    });
  return ['| flag | default | what it does |', '|---|---|---|', ...rows].join('\n');
}
