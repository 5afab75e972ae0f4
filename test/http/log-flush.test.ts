import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, projectRoot } from '../support/server-process.ts';

/** Reads `file` until `wanted` is in it or about five seconds have passed; returns what it read last. */
async function pollFor(file: string, wanted: RegExp): Promise<string> {
  let text = '';
  for (let attempt = 0; attempt < 50 && !wanted.test(text); attempt++) {
    await sleep(100);
    text = await readFile(file, 'utf8');
  }
  return text;
}

describe('the server process log', () => {
  it('writes a request line of an idle server soon, so that a kill does not lose it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cf-api-log-'));
    const logFile = join(directory, 'stdout.log');
    const stdout = await open(logFile, 'w');
    const port = await freePort();
    // stdout is a file, as under a service manager: what is in it after the kill is what the process wrote.
    const child = spawn(process.execPath, ['src/main.ts'], {
      cwd: projectRoot,
      env: { ...process.env, CFAPI_DATA_DIR: join(directory, 'data'), CFAPI_LISTEN_PORT: String(port), CFAPI_LOG_LEVEL: 'info' },
      stdio: ['ignore', stdout.fd, 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        let stderr = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('listening on')) resolve();
        });
        void exited.then(() => reject(new Error(`server exited:\n${stderr}`)));
      });
      const response = await fetch(`http://127.0.0.1:${port}/v3/info`, { headers: { 'X-Correlation-ID': 'flush-me' } });
      expect(response.status).to.equal(200);
      const requestLine = /"correlationId":"flush-me".*"msg":"request"/;
      expect(await pollFor(logFile, requestLine)).to.match(requestLine);
      child.kill('SIGKILL');
      await exited;
      expect(await readFile(logFile, 'utf8')).to.match(requestLine);
    } finally {
      child.kill('SIGKILL');
      await stdout.close();
    }
  });
});
