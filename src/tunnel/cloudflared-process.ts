import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ENV_VARS } from '../config.js';
import { SendtalkVerifyError } from '../errors.js';
import { LogTail, readCloudflaredLine, type CloudflaredLine } from './cloudflared-log.js';

const CLOUDFLARED_BIN_ENV = ENV_VARS.cloudflaredBin;

/** The error code of a missing binary: `--tunnel auto` moves on quietly past it. */
export const CLOUDFLARED_MISSING = 'cloudflared-missing';

const INSTALL_HINT =
  'Install cloudflared (e.g. `brew install cloudflared`, or a package from https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/) ' +
  `or set ${CLOUDFLARED_BIN_ENV} to its path; this tool downloads nothing. Or use --tunnel localtunnel, or your own tunnel with --tunnel URL.`;

/**
 * The binary to run: `explicit` (from CLOUDFLARED_BIN) when given, else the first `cloudflared` on
 * `searchPath`. Never downloads one: a binary fetched at run time is code nobody chose to trust.
 */
export async function findCloudflared(explicit: string | undefined, searchPath = process.env.PATH ?? ''): Promise<string> {
  if (explicit !== undefined && explicit !== '') {
    if (await isExecutable(explicit)) return explicit;
    throw new SendtalkVerifyError('tunnel', `${CLOUDFLARED_BIN_ENV} names ${explicit}, which is not an executable file.`, {
      hint: `Point ${CLOUDFLARED_BIN_ENV} at the cloudflared binary, or unset it to use the one on PATH.`,
      code: CLOUDFLARED_MISSING,
    });
  }
  const name = process.platform === 'win32' ? 'cloudflared.exe' : 'cloudflared';
  for (const dir of searchPath.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  throw new SendtalkVerifyError('tunnel', `cloudflared is not installed: it is not on PATH, and ${CLOUDFLARED_BIN_ENV} is not set.`, {
    hint: INSTALL_HINT,
    code: CLOUDFLARED_MISSING,
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Every cloudflared still running: killed when this process exits, whatever the path to the exit. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' runs on process.exit() too (a second Ctrl-C, an error path): a child left behind would
  // keep the quick tunnel up and its URL pointing at a port nobody listens on.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** One cloudflared process, its output read line by line. */
export class CloudflaredProcess {
  readonly tail = new LogTail();
  /** Set once the process has exited: its code, or the signal that ended it. */
  ended?: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(bin: string, args: string[], onLine: (line: CloudflaredLine, raw: string) => void, onEnd: (how: string) => void) {
    killAllOnExit();
    this.child = spawn(bin, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches this tool, which stops the tunnel
      // in order (after the last answer has gone through), instead of cloudflared quitting first.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    running.add(this.child);
    // Neither the child nor its pipes may keep this process alive: the run decides when it ends.
    this.child.unref();
    for (const stream of [this.child.stdout, this.child.stderr]) {
      (stream as (Readable & { unref?: () => void }) | null)?.unref?.();
      // cloudflared logs on stderr; stdout is read too, so neither pipe fills up and blocks it.
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        for (const raw of this.tail.push(chunk)) onLine(readCloudflaredLine(raw), raw);
      });
    }
    this.exited = new Promise((resolve) => {
      const end = (how: string): void => {
        if (this.ended !== undefined) return;
        this.ended = how;
        running.delete(this.child);
        resolve();
        onEnd(how);
      };
      this.child.on('exit', (code, signal) => end(signal ? `killed by ${signal}` : `exit code ${code}`));
      this.child.on('error', (error: NodeJS.ErrnoException) => end(`could not be started: ${error.code ?? error.message}`));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * SIGTERM (cloudflared then lets requests in flight finish), SIGKILL if it is still there after
   * `boundMs`; resolves once it is gone and its pipes are closed.
   */
  async stop(boundMs: number): Promise<void> {
    if (this.ended === undefined) {
      this.child.kill('SIGTERM');
      if (!(await this.endsWithin(boundMs))) {
        this.child.kill('SIGKILL');
        await this.endsWithin(2000);
      }
    }
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }

  private endsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
