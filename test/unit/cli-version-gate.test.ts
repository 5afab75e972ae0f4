import { expect } from 'chai';
import { ApiError } from '../../src/errors/api-error.ts';
import { cliVersionGate } from '../../src/http/edge/cli-version-gate.ts';

/** The CF error detail the gate refuses a User-Agent with, or undefined when it lets it through. */
function refusal(minimum: string, userAgent: string): string | undefined {
  try {
    cliVersionGate(minimum)(userAgent);
    return undefined;
  } catch (error) {
    expect(error).to.be.instanceOf(ApiError);
    expect((error as ApiError).status).to.equal(400);
    return (error as ApiError).detail;
  }
}

describe('cliVersionGate', () => {
  it('lets real cf CLI versions at or above the minimum through, with pre-releases and build metadata', () => {
    for (const agent of [
      'cf/8.18.4 (go1.26.8; amd64 linux)',
      'cf/8.18.4+0e2f8d2.2026-01-13 (go1.26.8; amd64 linux)',
      'cf/8.7.10+5b7ce3c.2024-04-10',
      'cf/8.5.0',
      'cf/8.5.0-rc.1',
      'cf/9.0.0-beta+334489f01.2024-05-14',
    ]) {
      expect(refusal('8.5.0', agent), agent).to.equal(undefined);
    }
  });

  it("refuses older versions with Korifi's text, printing the version as Korifi does", () => {
    expect(refusal('8.5.0', 'cf/8.4.0 (go1.21.1; amd64 linux)')).to.equal(
      'CF CLI version 8.4.0 is not supported. Korifi requires CF CLI >= 8.5.0-0',
    );
    expect(refusal('8.5.0', 'cf/7.2.0+be4a5ce2b.2020-12-10 (go1.13.11; amd64 linux)')).to.equal(
      'CF CLI version 7.2.0+be4a5ce2b.2020-12-10 is not supported. Korifi requires CF CLI >= 8.5.0-0',
    );
    expect(refusal('8.5.0', 'cf/0.0.0-unknown-version (go1.26.8; amd64 linux)')).to.equal(
      'CF CLI version 0.0.0-unknown-version is not supported. Korifi requires CF CLI >= 8.5.0-0',
    );
  });

  it('enforces the configured minimum, and names it', () => {
    expect(refusal('8.7.0', 'cf/8.6.9')).to.equal('CF CLI version 8.6.9 is not supported. Korifi requires CF CLI >= 8.7.0-0');
    expect(refusal('8.7.0', 'cf/8.7.0-beta.2')).to.equal(undefined);
    expect(refusal('8.7.0', 'cf/8.7.0')).to.equal(undefined);
    expect(refusal('9.0.0', 'cf/8.18.4 (go1.26.8; amd64 linux)')).to.equal(
      'CF CLI version 8.18.4 is not supported. Korifi requires CF CLI >= 9.0.0-0',
    );
    expect(refusal('7.0.0', 'cf/7.2.0')).to.equal(undefined);
  });

  it('refuses a version that is not a whole semantic version as undeterminable, never reading a number out of it', () => {
    for (const agent of [
      'cf/junk9.9.9',
      'cf/9.9.9junk',
      'cf/banana',
      'cf/8.18',
      'cf/8',
      'cf/',
      'cf',
      'cf (go1.26.8)',
      'cf/8.18.4(go1.26.8)',
    ]) {
      expect(refusal('8.5.0', agent), agent).to.equal('Failed to determine CF CLI version. Korifi requires CF CLI >= 8.5.0-0');
    }
  });

  it('checks only the product cf', () => {
    for (const agent of ['curl/8.5.0', 'cli/0.0.1', 'cfx/1.0.0', 'Mozilla/5.0 cf/7.0.0', '']) {
      expect(refusal('8.5.0', agent), agent).to.equal(undefined);
    }
  });
});
