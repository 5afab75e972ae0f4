/**
 * The breaking-change check's rules, apart from oasdiff and git (check.sh): which changes fail, and
 * which the reviewed allowance file (openapi/breaking-changes-allowed.yaml) lets through.
 */

/** One change as `oasdiff breaking --format json` reports it (the fields used here). */
export type BreakingChange = {
  id: string;
  text: string;
  /** 3: ERR (a definite break), 2: WARN (a possible one), 1: INFO. */
  level: number;
  operation?: string;
  operationId?: string;
  path?: string;
};

/**
 * A reviewed allowance: oasdiff's check `id`, the `operation` (`METHOD /path`, as the document writes
 * the path) and, to narrow it, a `text` the change's text must contain; `reason` and `reviewer` say why
 * it is acceptable and who agreed.
 */
export type Allowance = { id: string; operation: string; text?: string; reason: string; reviewer: string };

export type BreakingCheck = {
  /** ERR-level changes no allowance covers: the check fails. */
  refused: BreakingChange[];
  allowed: { change: BreakingChange; allowance: Allowance }[];
  /** WARN and INFO changes: printed, never failing. */
  warnings: BreakingChange[];
  /** Allowances that matched nothing (kept from an older base, or mistyped). */
  unused: Allowance[];
};

/** Reads the allowance file's content (`allowed:` a list); throws naming the first bad entry. */
export function parseAllowances(content: unknown): Allowance[] {
  if (content === null || content === undefined) return [];
  if (typeof content !== 'object' || Array.isArray(content)) throw new Error('expected a mapping with an `allowed:` list');
  const list = (content as Record<string, unknown>)['allowed'] ?? [];
  if (!Array.isArray(list)) throw new Error('`allowed` must be a list');
  return list.map((entry: unknown, index) => {
    const where = `allowed[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new Error(`${where} must be a mapping`);
    const fields = entry as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!['id', 'operation', 'text', 'reason', 'reviewer'].includes(key)) throw new Error(`${where} has an unknown key ${key}`);
    }
    const text = (key: string, required: boolean): string | undefined => {
      const value = fields[key];
      if (value === undefined && !required) return undefined;
      if (typeof value !== 'string' || value.trim() === '') throw new Error(`${where} needs a non-empty ${key}`);
      return value.trim();
    };
    const operation = text('operation', true)!;
    if (!/^[A-Z]+ \//.test(operation)) throw new Error(`${where}: operation must be "METHOD /path", not ${JSON.stringify(operation)}`);
    const narrowed = text('text', false);
    return {
      id: text('id', true)!,
      operation,
      ...(narrowed === undefined ? {} : { text: narrowed }),
      reason: text('reason', true)!,
      reviewer: text('reviewer', true)!,
    };
  });
}

function operationOf(change: BreakingChange): string {
  return `${change.operation ?? ''} ${change.path ?? ''}`.trim();
}

function covers(allowance: Allowance, change: BreakingChange): boolean {
  return (
    allowance.id === change.id &&
    allowance.operation === operationOf(change) &&
    (allowance.text === undefined || change.text.includes(allowance.text))
  );
}

/** Sorts the changes: ERR-level ones fail unless an allowance covers them. */
export function checkBreakingChanges(changes: BreakingChange[], allowances: Allowance[]): BreakingCheck {
  const result: BreakingCheck = { refused: [], allowed: [], warnings: [], unused: [] };
  const used = new Set<Allowance>();
  for (const change of changes) {
    if (change.level < 3) {
      result.warnings.push(change);
      continue;
    }
    const allowance = allowances.find((candidate) => covers(candidate, change));
    if (allowance) {
      used.add(allowance);
      result.allowed.push({ change, allowance });
    } else result.refused.push(change);
  }
  result.unused = allowances.filter((allowance) => !used.has(allowance));
  return result;
}

function describe(change: BreakingChange): string {
  return `[${change.id}] ${operationOf(change) || '(document)'}: ${change.text}`;
}

/** What the check prints: refused changes first, with the allowance that would let each through. */
export function formatBreakingCheck(result: BreakingCheck): string {
  const lines: string[] = [];
  if (result.refused.length > 0) {
    lines.push(`${result.refused.length} breaking change(s) not allowed:`);
    for (const change of result.refused) lines.push(`  ${describe(change)}`);
    lines.push(
      '',
      'If a break is intended, have it reviewed and add it to openapi/breaking-changes-allowed.yaml, e.g.:',
      'allowed:',
      ...result.refused
        .slice(0, 1)
        .flatMap((change) => [
          `  - id: ${change.id}`,
          `    operation: ${operationOf(change)}`,
          '    reason: <why clients can live with it>',
          '    reviewer: <who agreed>',
        ]),
      '',
    );
  }
  if (result.allowed.length > 0) {
    lines.push(`${result.allowed.length} breaking change(s) allowed:`);
    for (const { change, allowance } of result.allowed)
      lines.push(`  ${describe(change)}`, `    allowed: ${allowance.reason} (${allowance.reviewer})`);
  }
  if (result.warnings.length > 0) {
    lines.push(`${result.warnings.length} possible break(s) (warnings, not failing):`);
    for (const change of result.warnings) lines.push(`  ${describe(change)}`);
  }
  for (const allowance of result.unused) lines.push(`unused allowance (matches no change now): [${allowance.id}] ${allowance.operation}`);
  if (result.refused.length === 0) lines.push('spec:breaking: no breaking change without an allowance');
  return lines.join('\n');
}
