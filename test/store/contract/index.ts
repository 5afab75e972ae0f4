import type { StoreFixture } from '../fixture.ts';
import { cascadeContract, orphanContract } from './cascade.contract.ts';
import { crudContract } from './crud.contract.ts';
import { edgesContract } from './edges.contract.ts';
import { korifiLabelsContract } from './korifi-labels.contract.ts';
import { rbacContract, rbacEscalationContract } from './rbac.contract.ts';
import { selectorsContract } from './selectors.contract.ts';
import { statusContract } from './status.contract.ts';
import { watchContract } from './watch.contract.ts';

/** The store contract: the same tests for every backend. */
export function storeContract(fixture: () => StoreFixture): void {
  crudContract(fixture);
  statusContract(fixture);
  selectorsContract(fixture);
  watchContract(fixture);
  korifiLabelsContract(fixture);
  rbacContract(fixture);
  rbacEscalationContract(fixture);
  cascadeContract(fixture);
  orphanContract(fixture);
  edgesContract(fixture);
}
