// The one place where a command's settings are resolved, with the precedence
// of the design: command-line flags > environment variables (the original's
// names) > config file (JSON, `--config FILE` or SISOCK_CONFIG) > defaults.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export type OptionType = 'string' | 'number' | 'boolean' | 'list';

export interface OptionSpec {
  /** long flag without dashes, e.g. "tls-port" */
  flag: string;
  type: OptionType;
  description: string;
  /** environment variable that sets it, e.g. "CROSSBAR_TLS_PORT" */
  env?: string;
  /** dotted path in the config file, e.g. "router.tls_port" */
  key?: string;
  default?: string | number | boolean | string[];
  /** one-letter short flag */
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'number'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'list'
      ? string[]
      : string;

/** Resolved settings: every option with a default is present, the rest may be undefined. */
export type Resolved<S extends OptionSpecs> = {
  [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

export class UsageError extends Error {}

function convert(spec: OptionSpec, raw: unknown, source: string): string | number | boolean | string[] {
  switch (spec.type) {
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isFinite(n) || String(raw).trim() === '') {
        throw new UsageError(`${source}: expected a number for ${spec.flag}, got '${String(raw)}'`);
      }
      return n;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const v = String(raw).trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      throw new UsageError(`${source}: expected true or false for ${spec.flag}, got '${String(raw)}'`);
    }
    case 'list':
      if (Array.isArray(raw)) return raw.map(String);
      return String(raw)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'string':
      return String(raw);
  }
}

function lookup(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export interface ParsedCommandLine<S extends OptionSpecs> {
  options: Resolved<S>;
  positionals: string[];
  help: boolean;
  /** the config file that was read, if any */
  configFile?: string;
}

/**
 * Parses `argv` against `specs`. Adds `--help` and `--config FILE`.
 * Throws UsageError with a message meant for the user on bad input.
 */
export function parseCommandLine<S extends OptionSpecs>(
  specs: S,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedCommandLine<S> {
  const parseSpec: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
    config: { type: 'string' },
  };
  for (const spec of Object.values(specs)) {
    parseSpec[spec.flag] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.type === 'list' ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseSpec, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const configFile = (values.config as string | undefined) ?? env.SISOCK_CONFIG;
  let file: unknown = {};
  if (configFile) {
    try {
      file = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read config file ${configFile}: ${(err as Error).message}`);
    }
  }
  const options: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const fromFlag = values[spec.flag];
    const fromEnv = spec.env !== undefined ? env[spec.env] : undefined;
    const fromFile = spec.key !== undefined ? lookup(file, spec.key) : undefined;
    if (fromFlag !== undefined) {
      const raw = spec.type === 'list' ? (fromFlag as string[]).flatMap((s) => s.split(',')) : fromFlag;
      options[name] = convert(spec, raw, `--${spec.flag}`);
    } else if (fromEnv !== undefined && fromEnv !== '') {
      options[name] = convert(spec, fromEnv, `environment variable ${spec.env}`);
    } else if (fromFile !== undefined && fromFile !== null) {
      options[name] = convert(spec, fromFile, `${configFile}: ${spec.key}`);
    } else {
      options[name] = spec.default;
    }
  }
  return {
    options: options as Resolved<S>,
    positionals: parsed.positionals,
    help: values.help === true,
    ...(configFile ? { configFile } : {}),
  };
}

/** Help text listing each option with its flag, variable, config key and default. */
export function formatHelp(usage: string, specs: OptionSpecs): string {
  const rows = Object.values(specs).map((s) => {
    const flag = `--${s.flag}${s.type === 'boolean' ? '' : ' <' + s.type + '>'}${s.short ? `, -${s.short}` : ''}`;
    const extra = [
      s.env ? `env ${s.env}` : '',
      s.key ? `config ${s.key}` : '',
      s.default !== undefined ? `default ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return `  ${flag}\n      ${s.description}${extra ? ` (${extra})` : ''}`;
  });
  return [
    `usage: ${usage}`,
    '',
    'options:',
    ...rows,
    '  --config <file>\n      JSON config file (env SISOCK_CONFIG)',
    '  --help, -h',
  ].join('\n');
}
