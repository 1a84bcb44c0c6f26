import type { Command } from 'commander';
import { ENV_VARS, pick } from '../../config.js';
import { addOutputOptions, envHelp, examples, exitCodeHelp, PROGRAM_OPTIONS_NOTE, secretOption, type OutputFlags, type SecretFlags } from '../flags.js';
import { startCommand, type CommandRunner, type RunContext } from '../start-command.js';
import { interruptOnSignals } from '../signals.js';
import { urlIdentity } from '../../tunnel/remembered-url.js';
import { addTunnelOption, resolveTunnel, secretHeaderSetting, tunnelEnvRows, type TunnelFlags } from '../tunnel-flags.js';
import { checkApiUrl } from '../config-values.js';

interface DoctorFlags extends TunnelFlags, OutputFlags, SecretFlags {
  apiKey?: string;
  apiUrl?: string;
}

export function registerDoctor(program: Command, runner: CommandRunner, ctx: RunContext): void {
  const command = program
    .command('doctor')
    .description('check the set-up end to end: Node.js, API key, API, webhook secret, tunnel, and a signed delivery through it')
    .option('--api-key <key>', `SendTalk API key (env ${ENV_VARS.apiKey})`)
    .option('--api-url <url>', `SendTalk API base URL (env ${ENV_VARS.apiUrl})`)
    .addOption(secretOption());
  addOutputOptions(addTunnelOption(command, 'auto, as create'), {
    json: 'print one JSON document with every check',
    quiet: 'print only the failed checks and the summary',
  })
    .addHelpText(
      'after',
      `${PROGRAM_OPTIONS_NOTE}
What it sends: to check the key without creating a verification, it POSTs one create request
with an empty userPhone. SendTalk refuses it either for the phone (the key was accepted) or for
the API-Key header (the key was refused). Then it opens the tunnel in front of a temporary local
listener and sends one signed test delivery through the public URL.
${examples([
  ['sendtalk-verify doctor', 'check everything, with the key and secret from the environment or ./.env'],
  ['sendtalk-verify doctor --tunnel none --json', 'no tunnel; one JSON document, exit 5 if any check fails'],
  ['sendtalk-verify doctor --api-url http://127.0.0.1:4010 --api-key test', 'against a local emulator'],
])}${envHelp([[ENV_VARS.secretHeader, 'the header the test delivery carries the secret in (default X-Secret-Key)'], ...tunnelEnvRows()])}${exitCodeHelp()}`,
    )
    .action((_flags: DoctorFlags, cmd: Command) => runner(() => runDoctorCommand(cmd.optsWithGlobals<DoctorFlags>(), ctx)));
}

async function runDoctorCommand(flags: DoctorFlags, ctx: RunContext): Promise<number> {
  const { output, sources, apiKey, secret } = startCommand(flags, ctx, { apiKeyFromEnv: true });
  // The same subdomain create would ask for: doctor checks the URL SendTalk would be given.
  const tunnel = resolveTunnel(flags, sources, 'auto', urlIdentity(apiKey.value));
  const apiUrl = checkApiUrl(pick(flags.apiUrl, ENV_VARS.apiUrl, sources), sources, ENV_VARS.apiUrl);
  const interrupt = interruptOnSignals();
  const [{ runDoctor }, { reportDoctor, showCheck }] = await Promise.all([import('../../doctor/run-doctor.js'), import('../views/doctor-view.js')]);
  try {
    const checks = await runDoctor({
      apiKey: apiKey.value ? { value: apiKey.value, source: apiKey.source } : undefined,
      apiUrl,
      secret: secret.value ? { value: secret.value, source: secret.source } : undefined,
      secretHeader: secretHeaderSetting(sources),
      tunnel,
      signal: interrupt.signal,
      onCheck: (check) => showCheck(output, check),
    });
    return reportDoctor(output, checks);
  } finally {
    interrupt.dispose();
  }
}
