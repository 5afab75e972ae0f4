import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPermissionEntries } from '../../src/store/kubernetes/server-permissions.ts';
import { projectRoot } from '../support/server-process.ts';
import {
  permissionTable,
  permissionTableHeader,
  permissionTableHeading,
  permissionTableRow,
  tableAfterHeading,
} from './support/permission-table.ts';

describe('the README’s permission table', () => {
  it('lists exactly the permissions the chart grants and the server checks (files/server-permissions.yaml)', async () => {
    const entries = await loadPermissionEntries();
    const readme = await readFile(join(projectRoot, 'README.md'), 'utf8');
    const table = tableAfterHeading(readme, permissionTableHeading);
    const expected = permissionTable(entries);
    expect(table, `README.md needs a table under "${permissionTableHeading}":\n${expected}\n`).not.to.equal(undefined);
    expect(table!.header).to.deep.equal(permissionTableHeader);
    expect(table!.rows, `README.md's table under "${permissionTableHeading}" should be:\n${expected}\n`).to.deep.equal(
      entries.map(permissionTableRow),
    );
  });
});
