'use strict';
// The JavaScript half of stacks/schedulebatch.go. It runs inside the jsii
// kernel, beside the aws-cdk-lib the Go bindings loaded, and adds a whole
// stack's schedules in one call from Go instead of one call each.
const { Token, Tokenization } = require('aws-cdk-lib');
const { CfnSchedule } = require('aws-cdk-lib/aws-scheduler');

class Schedules {
  // add creates new CfnSchedule(scope, s.id, s.props) for every s of the
  // JSON array schedules, in order: what a Go call of
  // awsscheduler.NewCfnSchedule with the same props would create. The props
  // are CfnScheduleProps as Go encodes them, in which an unset field is null.
  static add(scope, schedules) {
    const tokens = new Map();
    for (const s of JSON.parse(schedules, (_, v) => (v === null ? undefined : untoken(tokens, v)))) {
      new CfnSchedule(scope, s.id, s.props);
    }
  }
}

// untoken returns the token behind a string that is one token and nothing
// else, such as the start queue's ARN shared by every schedule. The CDK
// resolves such a string by parsing it back into its token on each of the
// three times it renders a resource; handing it the token itself saves that
// work and renders the same template.
function untoken(tokens, v) {
  if (typeof v !== 'string' || !Token.isUnresolved(v)) {
    return v;
  }
  let t = tokens.get(v);
  if (t === undefined) {
    const fragments = Tokenization.reverseString(v);
    t = fragments.length === 1 && fragments.firstToken !== undefined ? fragments.firstToken : v;
    tokens.set(v, t);
  }
  return t;
}

exports.Schedules = Schedules;
