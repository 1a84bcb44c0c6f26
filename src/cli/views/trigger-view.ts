import { ENV_VARS } from '../../config.js';
import { formatDuration } from '../../duration.js';
import { renderTable } from '../../render/text.js';
import type { CaseResult, CheckReport } from '../../trigger/check-endpoint.js';
import type { VerifiedEvent } from '../../trigger/event.js';
import type { Outcome } from '../../trigger/outcome.js';
import type { ReplayReport } from '../../trigger/replay.js';
import type { SendReport } from '../../trigger/send-event.js';
import { code, markdownTable, type GithubActions } from '../github-actions.js';
import type { Output } from '../output.js';

/** Exit code when the endpoint answered wrong (or not at all). */
const CHECK_FAILED_EXIT = 5;

/** Draws trigger's reports: the result on stdout (table, or one JSON document), progress on stderr. */
export class TriggerView {
  constructor(
    private readonly output: Output,
    private readonly timeoutMs: number,
    private readonly actions?: GithubActions,
  ) {}

  starting(what: string): void {
    this.output.info(`${what} (at most ${formatDuration(this.timeoutMs)} per request)…`);
  }

  send(report: SendReport, event: VerifiedEvent): number {
    const { output } = this;
    if (output.json) output.document({ mode: 'send', ...report });
    const mark = report.passed ? '✔' : '✖';
    const facts = [
      event.source === 'file' ? 'from --payload' : 'verified event',
      report.event.verificationId && `id ${report.event.verificationId}`,
      report.event.phone && `phone ${report.event.phone}`,
      `${report.event.bytes} bytes`,
      report.secretSent ? `${report.secretHeader} sent` : `no ${report.secretHeader}`,
    ]
      .filter(Boolean)
      .join(', ');
    output.result(`${mark} ${gotText(report.got)} from ${report.url}`);
    output.result(`  event  ${facts}`);
    if (report.got.bodyStart) output.result(`  body   ${oneLine(report.got.bodyStart)}`);
    if (!report.passed) output.result(`  Expected 2xx: SendTalk counts anything else as a failed delivery.`);
    return report.passed ? 0 : CHECK_FAILED_EXIT;
  }

  check(report: CheckReport): number {
    const { output } = this;
    if (output.json) output.document({ mode: 'check', ...report });
    output.result(
      renderTable(
        ['case', 'expected', 'got', 'verdict'],
        report.cases.map((c) => [c.name, c.expected, gotText(c.got), verdict(c.verdict)]),
      ),
    );
    output.result('');
    const { passed, total } = report.summary;
    if (this.actions) {
      this.actions.summary(
        [
          `### sendtalk-verify trigger --check ${code(report.url)}`,
          '',
          markdownTable(
            ['case', 'expected', 'got', 'verdict'],
            report.cases.map((c) => [c.name, c.expected, gotText(c.got), c.verdict === 'pass' ? '✅ pass' : '❌ FAIL']),
          ),
          '',
          report.passed ? `✅ All ${total} checks passed.` : `❌ ${total - passed} of ${total} checks failed:`,
          ...adviceOnce(report.cases).map((a) => `- **${a.cases}**: ${a.advice}`),
        ].join('\n'),
      );
      for (const c of report.cases.filter((x) => x.verdict === 'fail')) {
        this.actions.error(`${c.name}: expected ${c.expected}, got ${gotText(c.got)}. ${c.advice ?? ''}`.trim(), `Webhook check failed: ${report.url}`);
      }
    }
    if (report.passed) {
      output.result(`✔ All ${total} checks passed for ${report.url}.`);
      return 0;
    }
    output.result(`✖ ${total - passed} of ${total} checks failed for ${report.url}:`);
    for (const a of adviceOnce(report.cases)) output.result(`  ${a.cases}: ${a.advice}`);
    return CHECK_FAILED_EXIT;
  }

  replay(report: ReplayReport, file: string): number {
    const { output } = this;
    if (output.json) output.document({ mode: 'replay', file, ...report });
    output.result(
      renderTable(
        ['seq', 'received', 'bytes', 'got', 'verdict'],
        report.deliveries.map((d) => [`#${d.seq}`, d.receivedAt, String(d.bytes), gotText(d.got), verdict(d.verdict)]),
      ),
    );
    output.result('');
    const { replayed, failed } = report.summary;
    output.result(
      report.passed
        ? `✔ Replayed ${replayed} deliver${replayed === 1 ? 'y' : 'ies'} to ${report.url}: all answered 2xx.`
        : `✖ ${failed} of ${replayed} replayed deliveries were not answered 2xx by ${report.url}.`,
    );
    for (const s of report.skipped) output.result(`  skipped ${s.line === undefined ? `#${s.seq}` : `line ${s.line}`}: ${s.reason}`);
    if (!report.secretSent) output.info(`No secret was sent: pass --secret (or set ${ENV_VARS.secret}) if the endpoint checks ${report.secretHeader}.`);
    return report.passed ? 0 : CHECK_FAILED_EXIT;
  }
}

/**
 * Each piece of advice once, with the cases it is for: an endpoint that is down fails every case
 * for the same reason, and seven copies of one line hide that it is one problem.
 */
function adviceOnce(cases: CaseResult[]): Array<{ cases: string; advice: string }> {
  const byAdvice = new Map<string, string[]>();
  for (const c of cases) if (c.advice !== null) byAdvice.set(c.advice, [...(byAdvice.get(c.advice) ?? []), c.name]);
  return [...byAdvice].map(([advice, names]) => ({
    cases: names.length === cases.length && names.length > 1 ? `all ${names.length} cases` : names.join(', '),
    advice,
  }));
}

function gotText(got: Outcome): string {
  return got.status === null ? got.summary : `${got.summary} (${formatDuration(got.ms)})`;
}

function verdict(v: 'pass' | 'fail'): string {
  return v === 'pass' ? '✔ pass' : '✖ FAIL';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
