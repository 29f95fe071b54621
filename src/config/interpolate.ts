/**
 * ${ENV_VAR} interpolation over every string of a parsed config. `${VAR:-default}` uses the
 * default when VAR is unset or empty (shell semantics); `$${` writes a literal `${`. A missing
 * variable is reported with the JSON pointer of the string that needed it, all at once.
 */

export interface PathProblem {
  /** JSON pointer segments. */
  path: string[];
  message: string;
}

const reference = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: PathProblem[],
  path: string[] = [],
): unknown {
  if (typeof value === 'string') return interpolateString(value, env, problems, path);
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, problems, [...path, String(i)]));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, problems, [...path, k]);
    return out;
  }
  return value;
}

function interpolateString(
  s: string,
  env: NodeJS.ProcessEnv,
  problems: PathProblem[],
  path: string[],
): string {
  return s.replace(
    reference,
    (whole, escaped: string | undefined, name: string, fallback: string | undefined) => {
      if (escaped) return whole.slice(1);
      const v = env[name];
      if (fallback !== undefined) return v === undefined || v === '' ? fallback : v;
      if (v === undefined) {
        problems.push({ path, message: `environment variable ${name} is not set` });
        return '';
      }
      return v;
    },
  );
}

/** True when the string takes its value from the environment rather than from the file. */
export function usesEnv(s: string): boolean {
  return [...s.matchAll(reference)].some((m) => !m[1]);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}
