import { enableCompileCache } from 'node:module';

// Node strips the types of every source file on each start, which costs about half a second; its
// compile cache (in the OS temporary directory, keyed by each file's content) keeps the result, so
// only a start after a change pays it. Enabled before the server's modules load, hence this entry.
enableCompileCache();
await import('./main.ts');
