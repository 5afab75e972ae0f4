import { expect } from 'chai';
import { StoreError, type StoreErrorReason } from '../../../src/store/errors.ts';

/** Asserts that the promise rejects with a StoreError of this reason, and returns it. */
export async function expectStoreError(promise: Promise<unknown>, reason: StoreErrorReason): Promise<StoreError> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    expect(error, `expected a StoreError ${reason}, got ${String(error)}`).to.be.instanceOf(StoreError);
    expect((error as StoreError).reason, (error as StoreError).message).to.equal(reason);
    return error as StoreError;
  }
  expect.fail(`expected a StoreError ${reason}, but the call succeeded with ${JSON.stringify(outcome)?.slice(0, 300)}`);
}
