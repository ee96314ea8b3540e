// Reports one environment's cdk diff, as written by .ci/diff: in the run's
// summary, and on the pull request as one comment per environment that
// every run updates in place, so that the thread shows the latest diff
// once instead of a new comment per push.
'use strict';

const fs = require('fs');
const path = require('path');

// GitHub refuses a comment body longer than this many characters.
const COMMENT_LIMIT = 65536;
// A step summary may hold up to 1 MiB; stay well below it.
const SUMMARY_LIMIT = 512 * 1024;
// The comments this script writes, found again by this first line.
const AUTHOR = 'github-actions[bot]';

function marker(environment) {
  return `<!-- qlik-reload-triggers cdk diff: ${environment} -->`;
}

// verdictText says what the verdict means for the pull request.
function verdictText(verdict, findings, pullRequest) {
  switch (verdict) {
    case 'unchanged':
      return 'No changes: nothing to deploy.';
    case 'changed':
      return 'Changes that neither delete, replace nor broaden anything.';
    case 'blocked':
      return [
        `${pullRequest ? '**Blocked:**' : '**Review before deploying:**'} ` +
          'this change deletes or replaces resources, or broadens IAM permissions:',
        '',
        ...findings.map((f) => `- ${f}`),
        '',
        pullRequest
          ? 'Once reviewed, a reviewer of the `change-approval` environment approves the run\'s ' +
            '`approve` job. The approval holds for this commit only: a new push needs a new one.'
          : 'The environment\'s reviewers read this before they approve its deploy.',
      ].join('\n');
    default:
      return '**Error:** the diff could not run, so nothing is known about this change (this is not a ' +
        'finding about it). The cause is at the end of the diff below and in the run\'s log.';
  }
}

// fence returns a code fence longer than any run of backticks in text.
function fence(text) {
  const longest = Math.max(0, ...(text.match(/`+/g) || []).map((r) => r.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

// body builds the report: a marker, the verdict, and the diff in a code
// block, cut at a line boundary with a pointer to the full diff when the
// whole would exceed limit characters.
function body({ environment, sha, verdict, findings, diff, fullDiffUrl, runUrl, pullRequest, limit }) {
  const head = [
    marker(environment),
    `### cdk diff: ${environment}`,
    '',
    `Commit ${sha}, [run](${runUrl}).`,
    '',
    verdictText(verdict, findings, pullRequest),
    '',
  ].join('\n');
  const f = fence(diff);
  const whole = `${head}${f}text\n${diff.replace(/\n?$/, '\n')}${f}\n`;
  if (whole.length <= limit) {
    return whole;
  }
  const lines = diff.split('\n').length;
  const pointer = fullDiffUrl
    ? `[diff-${environment}](${fullDiffUrl}), an artifact of the [run](${runUrl})`
    : `the artifact diff-${environment} of the [run](${runUrl})`;
  const tail = `${f}\n\n**Truncated:** the diff has ${lines} lines; the whole diff is in ${pointer}.\n`;
  let room = limit - head.length - `${f}text\n`.length - tail.length;
  let cut = diff.slice(0, Math.max(0, room));
  cut = cut.slice(0, cut.lastIndexOf('\n') + 1);
  return `${head}${f}text\n${cut}${tail}`;
}

// upsertComment updates this script's comment for the environment on the
// pull request, or creates it.
async function upsertComment({ github, context, environment, text }) {
  const { owner, repo } = context.repo;
  const issue_number = context.issue.number;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner, repo, issue_number, per_page: 100,
  });
  const mine = comments.find((c) => c.user && c.user.login === AUTHOR &&
    typeof c.body === 'string' && c.body.startsWith(marker(environment)));
  if (mine) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: text });
  } else {
    await github.rest.issues.createComment({ owner, repo, issue_number, body: text });
  }
}

function readIfPresent(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') {
      return '';
    }
    throw err;
  }
}

// report reads .ci/diff's output in dir and reports it.
async function report({ github, context, core, environment, dir, fullDiffUrl }) {
  const diff = readIfPresent(path.join(dir, 'diff.txt')) ||
    'No output: the job failed before the diff started (assuming the diff role, for example).\n';
  const verdict = readIfPresent(path.join(dir, 'verdict')).trim() || 'error';
  const findings = readIfPresent(path.join(dir, 'findings.txt')).split('\n').filter(Boolean);
  const runUrl = `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
  const sha = context.payload.pull_request ? context.payload.pull_request.head.sha : context.sha;
  const pullRequest = context.eventName === 'pull_request';
  const args = { environment, sha, verdict, findings, diff, fullDiffUrl, runUrl, pullRequest };
  await core.summary.addRaw(body({ ...args, limit: SUMMARY_LIMIT })).write();
  if (pullRequest) {
    await upsertComment({ github, context, environment, text: body({ ...args, limit: COMMENT_LIMIT }) });
  }
}

module.exports = report;
module.exports.body = body;
module.exports.COMMENT_LIMIT = COMMENT_LIMIT;
