import type { Command } from 'commander';
import { ENV_VARS, loadConfigSources, pick, pickSecret } from '../../config.js';
import type { DoctorCheck } from '../../doctor/run-doctor.js';
import { envHelp, examples, exitCodeHelp } from '../help.js';
import type { CommandRunner, RunContext } from '../main.js';
import { githubActions, markdownTable } from '../github-actions.js';
import { dotenvOption, dotenvPath, envFileOption } from '../dotenv-flag.js';
import { Output } from '../output.js';
import { interruptOnSignals } from '../signals.js';
import { addTunnelOptions, resolveTunnel, tunnelEnvHelp, type TunnelFlags } from '../tunnel-flags.js';
import { parseHeaderName } from '../parse-flags.js';
import { checkApiUrl } from '../config-values.js';

interface DoctorFlags extends TunnelFlags {
  apiKey?: string;
  apiUrl?: string;
  secret?: string;
  secretHeader?: string;
  dotenv?: string;
  envFile?: string;
  json?: boolean;
  debug?: boolean;
  quiet?: boolean;
}

export function registerDoctor(program: Command, runner: CommandRunner, ctx: RunContext): void {
  const command = program
    .command('doctor')
    .description('check the set-up end to end: Node.js, API key, API, webhook secret, tunnel, and a signed delivery through it')
    .option('--api-key <key>', `SendTalk API key (env ${ENV_VARS.apiKey})`)
    .option('--api-url <url>', `SendTalk API base URL (env ${ENV_VARS.apiUrl})`)
    .option('--secret <secret>', `webhook secret from Verification Config (env ${ENV_VARS.secret})`)
    .option('--secret-header <name>', 'header the test delivery carries the secret in (default: X-Secret-Key)', parseHeaderName);
  addTunnelOptions(command, 'localtunnel')
    .addOption(dotenvOption())
    .addOption(envFileOption())
    .option('--json', 'print one JSON document with every check')
    .option('--debug', 'show stack traces (secrets stay masked)')
    .option('-q, --quiet', 'print only the failed checks and the summary')
    .addHelpText('after', `
What it sends: to check the key without creating a verification, it POSTs one create request
with an empty userPhone. SendTalk refuses it either for the phone (the key was accepted) or for
the API-Key header (the key was refused). Then it opens the tunnel in front of a temporary local
listener and sends one signed test delivery through the public URL.
${examples([
  ['sendtalk-verify doctor', 'check everything, with the key and secret from the environment or ./.env'],
  ['sendtalk-verify doctor --tunnel none --json', 'no tunnel; one JSON document, exit 5 if any check fails'],
  ['sendtalk-verify doctor --api-url http://127.0.0.1:4010 --api-key test', 'against a local emulator'],
])}${envHelp()}${tunnelEnvHelp()}${exitCodeHelp()}`)
    .action((flags: DoctorFlags) => runner(() => runDoctorCommand(flags, ctx)));
}

async function runDoctorCommand(flags: DoctorFlags, ctx: RunContext): Promise<number> {
  const output = new Output({ json: flags.json, debug: flags.debug, quiet: flags.quiet });
  ctx.output = output;
  const sources = loadConfigSources({ envFile: dotenvPath(flags) });
  const apiKey = pick(flags.apiKey, ENV_VARS.apiKey, sources);
  const secret = pickSecret(flags.secret, sources);
  output.protect(apiKey.value, secret.value);
  const tunnel = resolveTunnel(flags, sources, 'localtunnel', output);
  const apiUrl = checkApiUrl(pick(flags.apiUrl, ENV_VARS.apiUrl, sources), sources, ENV_VARS.apiUrl);
  const interrupt = interruptOnSignals(() => {});
  const { runDoctor } = await import('../../doctor/run-doctor.js');
  try {
    const checks = await runDoctor({
      apiKey: apiKey.value ? { value: apiKey.value, source: apiKey.source } : undefined,
      apiUrl: apiUrl?.href,
      secret: secret.value ? { value: secret.value, source: secret.source } : undefined,
      secretHeader: flags.secretHeader,
      tunnel,
      signal: interrupt.signal,
      onCheck: (check) => { if (!output.quiet || check.status === 'fail') output.result(row(output, check)); },
    });
    const ok = checks.every((check) => check.status !== 'fail');
    const actions = githubActions(output);
    if (actions) {
      const failed = checks.filter((c) => c.status === 'fail');
      actions.summary([
        '### sendtalk-verify doctor',
        '',
        markdownTable(['', 'check', 'detail', 'what to do'], checks.map((c) => [{ pass: '✅', fail: '❌', skip: '➖' }[c.status], c.title, c.detail, c.status === 'pass' ? '' : c.fix ?? ''])),
        '',
        ok ? '✅ All checks passed.' : `❌ ${failed.length} check(s) failed.`,
      ].join('\n'));
      for (const c of failed) actions.error(`${c.title}: ${c.detail}${c.fix ? `. ${c.fix}` : ''}`, 'sendtalk-verify doctor');
    }
    if (output.json) output.document({ ok, checks });
    else output.result(ok ? `${output.c.green('✔')} All checks passed.` : `${output.c.red('✖')} ${checks.filter((c) => c.status === 'fail').length} check(s) failed.`);
    return ok ? 0 : 5;
  } finally {
    interrupt.dispose();
  }
}

const MARK = { pass: '✔', fail: '✖', skip: '–' } as const;

function row(output: Output, check: DoctorCheck): string {
  const colour = { pass: output.c.green, fail: output.c.red, skip: output.c.dim }[check.status];
  const line = `${colour(MARK[check.status])} ${check.title.padEnd(38)} ${check.detail}`;
  return check.fix && check.status !== 'pass' ? `${line}\n  ${output.c.dim(`→ ${check.fix}`)}` : line;
}
