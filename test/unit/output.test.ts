import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { NdjsonOutput, Output } from '../../src/cli/output.js';

/** stdout and stderr that record each write call, in one shared order. */
function streams(): { stdout: Writable; stderr: Writable; writes: Array<[stream: 'out' | 'err', text: string]> } {
  const writes: Array<['out' | 'err', string]> = [];
  const recorder = (name: 'out' | 'err'): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writes.push([name, chunk.toString()]);
        callback();
      },
    });
  return { stdout: recorder('out'), stderr: recorder('err'), writes };
}

describe('Output.line', () => {
  it('writes the NDJSON lines of one event-loop turn in a single write, in order', async () => {
    const { stdout, stderr, writes } = streams();
    const output = new Output({ json: true }, stdout, stderr);
    output.line({ n: 1 });
    output.line({ n: 2 });
    output.line({ n: 3 });
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual([['out', '{"n":1}\n{"n":2}\n{"n":3}\n']]);
    output.line({ n: 4 });
    await nextTurn();
    expect(writes.at(-1)).toEqual(['out', '{"n":4}\n']);
  });

  it('writes waiting lines before anything else reaches stdout or stderr, so the order holds', () => {
    const { stdout, stderr, writes } = streams();
    const output = new Output({}, stdout, stderr);
    output.line({ n: 1 });
    output.warn('careful');
    output.line({ n: 2 });
    output.result('done');
    expect(writes.map(([stream, text]) => `${stream}:${text}`)).toEqual(['out:{"n":1}\n', 'err:⚠ careful\n', 'out:{"n":2}\n', 'out:done\n']);
  });

  it('flush() writes what is waiting at once, and nothing when nothing is', () => {
    const { stdout, stderr, writes } = streams();
    const output = new Output({ json: true }, stdout, stderr);
    output.flush();
    expect(writes).toEqual([]);
    output.line({ type: 'done' });
    output.flush();
    expect(writes).toEqual([['out', '{"type":"done"}\n']]);
  });

  it('masks protected secrets in lines, also in their JSON-escaped form', () => {
    const { stdout, stderr, writes } = streams();
    const output = new NdjsonOutput({ json: true }, stdout, stderr);
    const secret = 'sk"live\\012345"789';
    output.protect(secret);
    output.document({ type: 'delivery', header: secret });
    output.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0]![1]).not.toContain('012345');
    expect(JSON.parse(writes[0]![1])).toEqual({ type: 'delivery', header: '••••"789' });
  });

  it('NdjsonOutput types the error document and keeps it on one line', () => {
    const { stdout, stderr, writes } = streams();
    const output = new NdjsonOutput({ json: true }, stdout, stderr);
    output.document({ status: 'error', error: { message: 'x' } });
    output.flush();
    expect(writes).toEqual([['out', '{"type":"error","status":"error","error":{"message":"x"}}\n']]);
  });
});

describe('Output.recordLine', () => {
  const secret = 'whsec_Rec0rdLine-Secret-42';

  it('writes own fields then sender fields as one object, in the turn-batched order of line()', async () => {
    const { stdout, stderr, writes } = streams();
    const output = new Output({ json: true }, stdout, stderr);
    output.line({ n: 1 });
    output.recordLine({ type: 'delivery', seq: 2, accepted: true, reason: null }, { path: '/webhook', headers: { a: 'b' } });
    output.recordLine({ type: 'x' }, {});
    output.recordLine({}, { only: 'sender' });
    await nextTurn();
    expect(writes).toEqual([
      ['out', '{"n":1}\n{"type":"delivery","seq":2,"accepted":true,"reason":null,"path":"/webhook","headers":{"a":"b"}}\n{"type":"x"}\n{"only":"sender"}\n'],
    ]);
  });

  it('masks a secret and escapes control characters wherever the sender put them', () => {
    const { stdout, stderr, writes } = streams();
    const output = new Output({ json: true }, stdout, stderr);
    output.protect(secret);
    output.recordLine(
      { type: 'delivery', seq: 1 },
      { path: `/webhook?token=${secret}`, headers: { 'x-note': `a ${secret.slice(2, 14)} b` }, payload: { text: `bidi\u202e ${secret.toUpperCase()} \u0085` } },
    );
    output.flush();
    const text = writes[0]![1];
    expect(text).not.toMatch(/c0rdline/i);
    expect(text).not.toMatch(/[\u0085\u202e]/);
    const line = JSON.parse(text) as { path: string; headers: Record<string, string>; payload: { text: string } };
    expect(line.path).not.toContain('Rec0rd');
    expect(line.headers['x-note']).toMatch(/^a .*•.* b$/);
    expect(line.payload.text).toContain('\u202e');
  });

  it('spends the masking passes on the sender part only (so no peer value may go in the own part)', () => {
    const { stdout, stderr, writes } = streams();
    const output = new Output({ json: true }, stdout, stderr);
    output.protect('abcdefgh-protected');
    output.recordLine({ note: 'abcdefgh-protected' }, { note2: 'abcdefgh-protected' });
    output.flush();
    const line = JSON.parse(writes[0]![1]) as { note: string; note2: string };
    expect(line.note).toBe('abcdefgh-protected');
    expect(line.note2).not.toContain('protected');
  });
});
