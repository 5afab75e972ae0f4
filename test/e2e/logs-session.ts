import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { eventually } from '../store/fixture.ts';
import { linesOf } from './support/cf-cli.ts';
import { streamCf } from './support/local-processes.ts';
import { loggedIn, type E2eWorld } from './support/world.ts';

const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/**
 * `cf logs --recent` with the real CLI (log-cache's info, then a read of the app's envelopes, newest
 * first, which the CLI turns around): nothing for a new app made by `cf create-app`; the staging and
 * instance lines of a docker app `cf start` staged and started on the server's scripted runtime; and
 * `cf logs` streaming (the CLI polls for the newest envelope, then walks forward from it) prints the
 * line a task writes while it runs.
 */
export function defineLogsSession(world: () => E2eWorld): void {
  it('cf logs --recent: empty for a new app, staging and instance lines once it ran', async () => {
    const cf = await loggedIn(world(), world().admin);
    const names = { org: unique('org'), space: unique('space'), app: unique('app') };
    const user = world().admin.username;
    await cf.ok('create-org', names.org);
    await cf.ok('create-space', names.space, '-o', names.org);
    await cf.ok('target', '-o', names.org, '-s', names.space);
    await cf.ok('create-app', names.app, '--app-type', 'docker');

    const empty = linesOf((await cf.ok('logs', names.app, '--recent')).output);
    expect(empty).to.include(`Retrieving logs for app ${names.app} in org ${names.org} / space ${names.space} as ${user}...`);
    expect(
      empty.filter((line) => /\[[A-Z/]+\/\d+\]/.test(line)),
      empty.join('\n'),
    ).to.deep.equal([]);

    const guid = (await cf.ok('app', names.app, '--guid')).stdout.trim();
    const packageBody = { type: 'docker', data: { image: 'registry.example/team/app:1' }, relationships: { app: { data: { guid } } } };
    await cf.ok('curl', '-X', 'POST', '/v3/packages', '-d', JSON.stringify(packageBody));
    await cf.ok('start', names.app);

    const recent = linesOf((await cf.ok('logs', names.app, '--recent')).output);
    const logLines = recent.filter((line) => /\[[A-Z/]+\/\d+\]/.test(line)).map((line) => line.replace(/^\S+\s+/, ''));
    expect(logLines, recent.join('\n')).to.have.length(3);
    expect(logLines[0]).to.match(/^\[STG\/0\] OUT Scripted staging of build [0-9a-f-]{36} \(docker\)$/);
    expect(logLines[1]).to.equal('[STG/0] OUT Staging complete');
    expect(logLines[2]).to.match(/^\[APP\/PROC\/WEB\/0\] OUT Starting instance 0:/);
  });

  it('cf logs (streaming) prints the lines of a task as they come', async () => {
    const cf = await loggedIn(world(), world().admin);
    const names = { org: unique('org'), space: unique('space'), app: unique('app') };
    await cf.ok('create-org', names.org);
    await cf.ok('create-space', names.space, '-o', names.org);
    await cf.ok('target', '-o', names.org, '-s', names.space);
    await cf.ok('create-app', names.app, '--app-type', 'docker');
    const guid = (await cf.ok('app', names.app, '--guid')).stdout.trim();
    const packageBody = { type: 'docker', data: { image: 'registry.example/team/app:1' }, relationships: { app: { data: { guid } } } };
    await cf.ok('curl', '-X', 'POST', '/v3/packages', '-d', JSON.stringify(packageBody));
    await cf.ok('start', names.app);

    const stream = streamCf(cf, 'logs', names.app);
    try {
      await eventually(async () => expect(stream.output()).to.contain(`Retrieving logs for app ${names.app}`), 20_000);
      const marker = unique('streamed');
      await cf.ok('run-task', names.app, '--command', `echo ${marker}`);
      await eventually(async () => {
        const lines = linesOf(stream.output()).filter((line) => line.includes(`OUT Running task: echo ${marker}`));
        expect(lines, stream.output()).to.have.length(1);
        expect(lines[0]).to.match(/\[APP\/TASK\/[0-9a-f-]+\/0\] OUT/);
      }, 30_000);
    } finally {
      stream.stop();
    }
  });
}
