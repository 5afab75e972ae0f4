import { type CoverageRecord, suiteOf, writeRecord } from '../../scripts/contract-coverage/coverage.ts';

/**
 * What the contract checker saw in this mocha process: per operationId, per status, the responses that
 * passed the check. contractFetch (startTestServer's `request`) and the e2e cf CLI feed it; the root
 * hook writes it when the run ends (scripts/contract-coverage/, `npm run contract:coverage`).
 */
class ContractCoverage {
  readonly startedAt = new Date().toISOString();
  readonly responses: Record<string, Record<string, number>> = {};
  readonly unmatched: Record<string, number> = {};
  #count = 0;

  record(operationId: string | undefined, status: number): void {
    this.#count++;
    const counts = operationId === undefined ? this.unmatched : (this.responses[operationId] ??= {});
    counts[status] = (counts[status] ?? 0) + 1;
  }

  /**
   * Writes the record of this run as its suite (`test`, `e2e` or `focused`, see suiteOf); a focused run
   * that saw no response (unit tests) writes nothing. Returns the file written.
   */
  async write(tests?: number): Promise<string | undefined> {
    const { suite, specs } = suiteOf(process.argv);
    if (suite === 'focused' && this.#count === 0) return undefined;
    const record: CoverageRecord = {
      version: 1,
      suite,
      specs,
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      ...(tests === undefined ? {} : { tests }),
      responses: this.responses,
      unmatched: this.unmatched,
    };
    return writeRecord(record);
  }
}

export const contractCoverage = new ContractCoverage();
