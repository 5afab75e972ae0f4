import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ContractChecker } from '../../support/contract.ts';
import { contractCoverage } from '../../support/contract-coverage.ts';
import { exchangesOf } from './cli-trace.ts';

/** Said when the e2e suites cannot find the CLI: how to get one. */
export const missingCliMessage =
  'The e2e suites run the real cf CLI (v8.5 or later): set CF_CLI to its path or put `cf` on PATH ' +
  '(on the team machines it is at ../shared/tools/cf-cli/cf; elsewhere: https://github.com/cloudfoundry/cli/releases).';

/** The cf CLI binary: `CF_CLI`, else `cf` on PATH; throws `missingCliMessage` when there is none. */
export function locateCfCli(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['CF_CLI'];
  if (configured) {
    if (!isExecutable(configured)) throw new Error(`CF_CLI=${configured} is not an executable file. ${missingCliMessage}`);
    return configured;
  }
  for (const directory of (env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(directory, 'cf');
    if (directory && isExecutable(candidate)) return candidate;
  }
  throw new Error(missingCliMessage);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** What a command printed and how it ended; `exchanges`: how many request/response pairs its trace held. */
export type CfResult = { code: number; stdout: string; stderr: string; output: string; exchanges: number };

let checker: Promise<ContractChecker> | undefined;

/**
 * One user's cf CLI: its own CF_HOME (the CLI's config.json: target, logged-in user) and a KUBECONFIG,
 * nothing inherited from the person running the tests. Every command runs with `CF_TRACE`, and every
 * response the CLI received is checked against the OpenAPI document: a command whose exchanges break the
 * contract fails, whatever the CLI made of them.
 */
export class CfCli {
  readonly binary: string;
  readonly home: string;
  readonly kubeconfig: string;
  /** The directory commands run in (`cf push` pushes it); the test process's own unless given. */
  readonly cwd: string | undefined;

  private constructor(binary: string, home: string, kubeconfig: string, cwd?: string) {
    this.binary = binary;
    this.home = home;
    this.kubeconfig = kubeconfig;
    this.cwd = cwd;
  }

  /** The same user's CLI (same CF_HOME: target and login), running its commands in `directory`. */
  in(directory: string): CfCli {
    return new CfCli(this.binary, this.home, this.kubeconfig, directory);
  }

  static async create(kubeconfig: string): Promise<CfCli> {
    return new CfCli(locateCfCli(), await mkdtemp(join(tmpdir(), 'cf-home-')), kubeconfig);
  }

  /**
   * Runs `cf <args>`; resolves with the exit code and what it printed (never rejects on a non-zero exit),
   * and rejects when a response it received breaks the OpenAPI document.
   */
  async run(...args: string[]): Promise<CfResult> {
    const trace = join(this.home, 'trace.log');
    const result = await this.#execute(args, trace);
    const contract = await (checker ??= ContractChecker.load({ coverage: contractCoverage }));
    const exchanges = exchangesOf(await readFile(trace, 'utf8').catch(() => ''));
    await rm(trace, { force: true });
    const problems = exchanges.flatMap((exchange) => contract.check(exchange));
    if (problems.length > 0) throw new Error(`cf ${args.join(' ')}: responses break the OpenAPI document:\n${problems.join('\n')}`);
    return { ...result, exchanges: exchanges.length };
  }

  #execute(args: string[], trace: string): Promise<Omit<CfResult, 'exchanges'>> {
    return new Promise((resolve, reject) => {
      const options = {
        env: { ...this.env(), CF_TRACE: trace },
        timeout: 5 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
        ...(this.cwd ? { cwd: this.cwd } : {}),
      };
      execFile(this.binary, args, options, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(new Error(`cf ${args.join(' ')} did not run: ${error.message}`));
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr, output: `${stdout}${stderr}` });
      });
    });
  }

  /** Runs `cf <args>` and fails with everything it printed unless it exits 0. */
  async ok(...args: string[]): Promise<CfResult> {
    const result = await this.run(...args);
    if (result.code !== 0) throw new Error(`cf ${args.join(' ')} exited ${result.code}:\n${result.output}`);
    return result;
  }

  /** Runs `cf <args>` and fails unless it exits non-zero. */
  async fails(...args: string[]): Promise<CfResult> {
    const result = await this.run(...args);
    if (result.code === 0) throw new Error(`cf ${args.join(' ')} should have failed:\n${result.output}`);
    return result;
  }

  /** The environment of its commands: the test process's, less anything that would change what the CLI does. */
  env(): NodeJS.ProcessEnv {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('CF_') && key !== 'KUBECONFIG' && !/_PROXY$/i.test(key)),
    );
    return { ...inherited, CF_HOME: this.home, KUBECONFIG: this.kubeconfig, CF_COLOR: 'false' };
  }
}

/** The lines of an output, trimmed, without empty ones. */
export function linesOf(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The first column of the table rows that follow the header line starting with `header`. */
export function tableColumn(output: string, header: string): string[] {
  const lines = linesOf(output);
  const start = lines.findIndex((line) => line.startsWith(header));
  if (start === -1) return [];
  return lines.slice(start + 1).map((line) => line.split(/\s+/)[0]!);
}
