import type { DoctorCheck } from '../../doctor/run-doctor.js';
import { githubActions, markdownTable } from '../github-actions.js';
import type { Output } from '../output.js';

const MARK = { pass: '✔', fail: '✖', skip: '–' } as const;

/** One check as it finishes; --quiet keeps only the failures. */
export function showCheck(output: Output, check: DoctorCheck): void {
  if (!output.quiet || check.status === 'fail') output.result(row(output, check));
}

function row(output: Output, check: DoctorCheck): string {
  const c = output.resultColours;
  const colour = { pass: c.green, fail: c.red, skip: c.dim }[check.status];
  const line = `${colour(MARK[check.status])} ${check.title.padEnd(38)} ${check.detail}`;
  const fix = check.fix && check.status !== 'pass' ? `\n  ${c.dim(`→ ${check.fix}`)}` : '';
  return `${line}${fix}${check.note ? `\n  ${c.dim(`! ${check.note}`)}` : ''}`;
}

/** The summary (terminal, JSON, GitHub Actions) once every check has run; returns the exit code. */
export function reportDoctor(output: Output, checks: DoctorCheck[]): number {
  const ok = checks.every((check) => check.status !== 'fail');
  const actions = githubActions(output);
  if (actions) {
    const failed = checks.filter((c) => c.status === 'fail');
    actions.summary(
      [
        '### sendtalk-verify doctor',
        '',
        markdownTable(
          ['', 'check', 'detail', 'what to do'],
          checks.map((c) => [{ pass: '✅', fail: '❌', skip: '➖' }[c.status], c.title, c.detail, c.status === 'pass' ? '' : (c.fix ?? '')]),
        ),
        '',
        ok ? '✅ All checks passed.' : `❌ ${checksFailed(failed.length)}`,
      ].join('\n'),
    );
    for (const c of failed) actions.error(`${c.title}: ${c.detail}${c.fix ? `. ${c.fix}` : ''}`, 'sendtalk-verify doctor');
  }
  if (output.json) output.document({ ok, checks });
  else
    output.result(
      ok
        ? `${output.resultColours.green('✔')} All checks passed.`
        : `${output.resultColours.red('✖')} ${checksFailed(checks.filter((c) => c.status === 'fail').length)}`,
    );
  return ok ? 0 : 5;
}

function checksFailed(n: number): string {
  return `${n} ${n === 1 ? 'check' : 'checks'} failed.`;
}
