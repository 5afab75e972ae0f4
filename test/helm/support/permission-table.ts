import type { PermissionEntry } from '../../../src/store/kubernetes/server-permissions.ts';

/** The README heading the permission table sits under. */
export const permissionTableHeading = '#### Permissions of the server';

const when: Record<PermissionEntry['need'], string> = {
  always: 'always',
  reconcilers: 'with `reconcilers`',
  registrySecrets: 'with `packageRegistrySecretNames`',
};

/** How the README shows one entry: when, where, API group, resources (and names), verbs, why. */
export function permissionTableRow(entry: PermissionEntry): string[] {
  const resources = entry.resources.map((resource) => `\`${resource}\``).join(', ');
  const names =
    entry.resourceNames === undefined
      ? ''
      : entry.resourceNames === 'cfRoles'
        ? ' (the CF roles’ ClusterRoles)'
        : entry.resourceNames === 'registrySecrets'
          ? ' (those Secrets)'
          : ` (${entry.resourceNames.map((name) => `\`${name}\``).join(', ')})`;
  return [
    when[entry.need],
    entry.scope === 'cluster' ? 'cluster' : 'root namespace',
    entry.apiGroup === '' ? 'core' : `\`${entry.apiGroup}\``,
    `${resources}${names}`,
    entry.verbs.join(', '),
    entry.why,
  ];
}

export const permissionTableHeader = ['when', 'where', 'API group', 'resources', 'verbs', 'why'];

/** The whole table as Markdown (what the README should hold, column widths aside). */
export function permissionTable(entries: readonly PermissionEntry[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(permissionTableHeader),
    line(permissionTableHeader.map(() => '---')),
    ...entries.map((entry) => line(permissionTableRow(entry))),
  ].join('\n');
}

/** The rows of the first Markdown table after `heading` in `markdown`, as trimmed cells (header and rule excluded). */
export function tableAfterHeading(markdown: string, heading: string): { header: string[]; rows: string[][] } | undefined {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) return undefined;
  const first = lines.findIndex((line, index) => index > start && line.trim().startsWith('|'));
  if (first < 0) return undefined;
  const table: string[][] = [];
  for (let index = first; index < lines.length && lines[index]!.trim().startsWith('|'); index += 1) {
    table.push(
      lines[index]!.trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  const [header = [], , ...rows] = table;
  return { header, rows };
}
