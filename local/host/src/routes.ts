/**
 * HTTP trigger route templates as the Functions host matches them: literal segments,
 * `{name}`, optional `{name?}`, constrained `{name:int}` / `{name:alpha}` / `{name:guid}` etc.,
 * and a trailing catch-all `{*rest}`. Matching is case-insensitive on literals.
 */
export interface CompiledRoute {
  template: string;
  match(path: string): Record<string, string> | undefined;
  /** Literal segments count first when two routes match. */
  specificity: number;
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  double: /^-?\d+(\.\d+)?$/,
  float: /^-?\d+(\.\d+)?$/,
  decimal: /^-?\d+(\.\d+)?$/,
};

export function compileRoute(template: string): CompiledRoute {
  const parts = template.split("/").filter((part) => part.length > 0);
  const specificity = parts.filter((part) => !part.startsWith("{")).length;
  return {
    template,
    specificity,
    match(path: string) {
      const segments = path.split("/").filter((segment) => segment.length > 0);
      const params: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as string;
        const segment = segments[i];
        const parameter = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\?)?\}$/.exec(part);
        if (!parameter) {
          if (segment === undefined || segment.toLowerCase() !== part.toLowerCase()) return undefined;
          continue;
        }
        const [, catchAll, name, constraint, optional] = parameter;
        if (catchAll) {
          params[name as string] = segments.slice(i).map(decodeURIComponent).join("/");
          return params;
        }
        if (segment === undefined) {
          if (optional) continue;
          return undefined;
        }
        const value = decodeURIComponent(segment);
        const rule = constraint ? CONSTRAINTS[constraint] : undefined;
        if (rule && !rule.test(value)) return undefined;
        params[name as string] = value;
      }
      return segments.length <= parts.length ? params : undefined;
    },
  };
}
