import Koa from 'koa';

/**
 * The yardstick for `npm run bench`: a bare Koa server answering fixed JSON bodies by path, with no
 * routing table, validation, authentication or logging.
 */
const bodies = JSON.parse(process.env['BARE_BODIES'] ?? '{}') as Record<string, unknown>;
const app = new Koa();
app.use((ctx) => {
  const body = bodies[ctx.path];
  if (body === undefined) {
    ctx.status = 404;
    return;
  }
  ctx.body = body;
});
app.listen(Number(process.env['BARE_PORT']), '127.0.0.1', () => process.stderr.write('listening on bare koa\n'));
// Exit (rather than die by the signal) on SIGTERM, so that a `--cpu-prof` profile of it is written.
process.once('SIGTERM', () => process.exit(0));
