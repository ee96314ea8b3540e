package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// invalidFiles lists one file per rule under testdata/invalid with the exact
// lines an admin reads, each written after the file's path. schema marks
// the files whose rule config/schema.json can express too, so that an
// editor flags them before a synth does (see TestSchemaAgreesWithLoader).
var invalidFiles = []struct {
	file   string
	want   []string
	schema bool
}{
	// The file as a whole.
	{file: "syntax.yaml", want: []string{
		":4: invalid YAML: sequence end token ']' not found",
	}},
	{file: "empty.yaml", schema: true, want: []string{
		":1: the file is empty; it needs at least tenantUrl and reloads",
	}},
	{file: "not-a-mapping.yaml", schema: true, want: []string{
		":1: the file must be a mapping of settings (tenantUrl: ..., reloads: ...), not a list",
	}},
	{file: "two-documents.yaml", want: []string{
		":7: the file holds more than one YAML document; keep one and remove the --- line",
	}},
	{file: "bad_name.yaml", want: []string{
		`: the file name gives the environment name "bad_name", which must start with a letter and hold only letters, digits and hyphens, since it becomes part of the stack names; rename the file, for example to bad-name.yaml`,
	}},
	{file: "environment-name-longer-than-forty-characters.yaml", want: []string{
		`: the file name gives the environment name "environment-name-longer-than-forty-characters", which is 45 characters; the limit is 40, since it becomes part of the stack names; rename the file`,
	}},
	{file: "missing-tenant-url.yaml", schema: true, want: []string{
		":1: tenantUrl: missing; add the Qlik Cloud tenant's address, such as https://acme.eu.qlikcloud.com",
	}},
	{file: "missing-reloads.yaml", schema: true, want: []string{
		":1: reloads: missing; use reloads: [] for an environment with no schedules yet",
	}},
	{file: "null-reloads.yaml", schema: true, want: []string{
		":2: reloads: no rows given; use reloads: [] for an environment with no schedules yet",
	}},
	{file: "reloads-not-list.yaml", schema: true, want: []string{
		":2: reloads: expected a list of rows, each starting with - name: ..., got a mapping",
	}},
	{file: "unknown-key.yaml", schema: true, want: []string{
		":1: tenantURL: unknown field; did you mean tenantUrl?",
		":1: tenantUrl: missing; add the Qlik Cloud tenant's address, such as https://acme.eu.qlikcloud.com",
		":3: schedule: unknown field; schedule is a setting of a row; put it under reloads",
		":4: colour: unknown field; the known fields are tenantUrl, account, region, timezone, alarmEmail, flexibleWindowMinutes, reservedConcurrency, concurrency, waitSeconds, maxDelayMinutes, historyDays, watchReadsPerMinute, maxRunHours, scheduleStacks, scheduleStacksHighWater, logRetentionDays, existingSecretArn, kmsKeyArn, vpc, reloads",
	}},
	{file: "indent-tab.yaml", want: []string{
		":5: invalid YAML: a tab indents this line, and YAML allows only spaces; indent with spaces",
	}},
	{file: "indent-more.yaml", want: []string{
		":5: invalid YAML: this line is indented by 5 spaces, more than the line above (4), which already has its value; indent with spaces so that it lines up with the settings it belongs with",
	}},
	{file: "indent-less.yaml", want: []string{
		":5: invalid YAML: this line is indented by 3 spaces, which lines up with none of the lines above; indent with spaces so that it lines up with the settings it belongs with",
	}},
	{file: "indent-file-setting.yaml", want: []string{
		":2: invalid YAML: this line is indented by 1 space, more than the line above (0), which already has its value; indent with spaces so that it lines up with the settings it belongs with",
	}},
	{file: "row-without-dash-outdented.yaml", want: []string{
		`:6: invalid YAML: this line lines up with the "- " of the rows above but has none: a new row starts with "- "; write - name: sales-weekly`,
	}},
	// A row without its "- " at the indentation of the row above is valid
	// YAML: one row that sets every key twice.
	{file: "row-without-dash.yaml", want: []string{
		`:6: reloads[0]: a second name on line 6, after the one on line 3: a new row starts with "- "; write - name: sales-weekly on line 6`,
	}},
	{file: "duplicate-key.yaml", want: []string{
		":3: timezone: set twice, also on line 2; keep one",
	}},
	{file: "alias.yaml", want: []string{
		":7: reloads[0].timezone: aliases (*tz) are not supported; write the value out, so that each row reads on its own in review",
	}},

	// Settings of the file.
	{file: "tenant-url-http.yaml", schema: true, want: []string{
		":1: tenantUrl: use https: https://acme.eu.qlikcloud.com",
	}},
	{file: "tenant-url-path.yaml", schema: true, want: []string{
		":1: tenantUrl: remove the path /sense/hub; give only the tenant's address: https://acme.eu.qlikcloud.com",
	}},
	{file: "tenant-url-no-scheme.yaml", schema: true, want: []string{
		`:1: tenantUrl: "acme.eu.qlikcloud.com" is not a URL; write https://acme.eu.qlikcloud.com`,
	}},
	{file: "tenant-url-query.yaml", schema: true, want: []string{
		":1: tenantUrl: remove the query; give only https://acme.eu.qlikcloud.com",
	}},
	{file: "account-unquoted.yaml", schema: true, want: []string{
		`:2: account: put the account ID in quotes so YAML keeps its leading zeros: account: "123456789012"`,
	}},
	// YAML reads an unquoted 012345678901 as text (it is not a valid
	// octal number), so only the loader, which sees the quotes, can tell.
	{file: "account-leading-zero.yaml", want: []string{
		`:2: account: put the account ID in quotes so YAML keeps its leading zeros: account: "012345678901"`,
	}},
	{file: "account-length.yaml", schema: true, want: []string{
		`:2: account: "12345" is not an AWS account ID; it has exactly 12 digits`,
	}},
	{file: "account-without-region.yaml", schema: true, want: []string{
		":2: region: missing; account and region go together: set both or neither",
	}},
	{file: "region-pattern.yaml", schema: true, want: []string{
		`:3: region: "Ireland" is not an AWS region name, such as eu-west-1`,
	}},
	{file: "timezone-unknown.yaml", want: []string{
		`:2: timezone: "Europe/Stokholm" is not an IANA time zone; did you mean Europe/Stockholm?`,
	}},
	{file: "region-typo.yaml", want: []string{
		`:3: region: "eu-centrl-1" is not an AWS region; did you mean eu-central-1?`,
	}},
	{file: "timezone-case.yaml", want: []string{
		`:2: timezone: "america/chicago" is not an IANA time zone; did you mean America/Chicago? Zone names are case-sensitive`,
		`:7: reloads[0].timezone: "America/Chicgo" is not an IANA time zone; did you mean America/Chicago?`,
		`:11: reloads[1].timezone: "New York" is not an IANA time zone; did you mean America/New_York?`,
	}},
	{file: "timezone-local.yaml", schema: true, want: []string{
		":2: timezone: Local depends on the machine that synthesizes; name the zone, such as Europe/Stockholm",
	}},
	{file: "alarm-email-display-name.yaml", schema: true, want: []string{
		":2: alarmEmail: give the plain address without a name or angle brackets: bi-ops@example.com",
	}},
	{file: "flexible-window-range.yaml", schema: true, want: []string{
		":2: flexibleWindowMinutes: 1441 is out of range 0-1440",
	}},
	{file: "reserved-concurrency-zero.yaml", schema: true, want: []string{
		":2: reservedConcurrency: 0 would stop every reload; remove the line to use the account's unreserved concurrency, or set 1-1000",
	}},
	{file: "concurrency-range.yaml", schema: true, want: []string{
		":2: concurrency: 1 is out of range 2-1000; Lambda reads a queue with at least 2 functions at once, and reservedConcurrency caps a single one",
	}},
	{file: "concurrency-above-reserved.yaml", want: []string{
		":3: concurrency: concurrency 8 is above reservedConcurrency 4, so Lambda would throttle the start queue's functions; set concurrency: 4 or less, or raise reservedConcurrency",
	}},
	{file: "concurrency-default-above-reserved.yaml", want: []string{
		":2: concurrency: the default concurrency of 5 is above reservedConcurrency 3, so Lambda would throttle the start queue's functions; set concurrency: 3 or less, or raise reservedConcurrency",
	}},
	{file: "wait-seconds-range.yaml", schema: true, want: []string{
		":2: waitSeconds: 61 is out of range 0-60",
	}},
	{file: "max-delay-range.yaml", schema: true, want: []string{
		":2: maxDelayMinutes: 0 is out of range 1-1440",
	}},
	{file: "history-days-short.yaml", schema: true, want: []string{
		":2: historyDays: 7 is too short; keep runs at least 15 days, as long as a run's message may wait in the dead-letter queue, so that a redriven run finds its record and starts nothing twice",
	}},
	{file: "history-days-range.yaml", schema: true, want: []string{
		":2: historyDays: 4000 is out of range 15-3653",
	}},
	{file: "watch-range.yaml", schema: true, want: []string{
		":2: watchReadsPerMinute: 900 is out of range 1-500",
		":3: maxRunHours: 0 is out of range 1-168",
	}},
	{file: "schedule-stacks-range.yaml", schema: true, want: []string{
		":2: scheduleStacks: 101 is out of range 1-100",
	}},
	{file: "vpc.yaml", schema: true, want: []string{
		`:3: vpc.subnetIds[1]: "subnet-xyz" is not an ID such as subnet-0123456789abcdef0`,
		":4: vpc.securityGroupIds: empty; list at least one, such as [sg-0123456789abcdef0]",
	}},
	{file: "vpc-missing.yaml", schema: true, want: []string{
		":2: vpc.securityGroupIds: missing; list the security groups of the functions, such as [sg-0123456789abcdef0]",
	}},
	{file: "schedule-stacks-high-water.yaml", want: []string{
		":3: scheduleStacksHighWater: 3 is below scheduleStacks: 5; set it to 5 or more, the most schedule stacks this environment has deployed, so that lowering scheduleStacks later deletes the stacks it empties",
	}},
	{file: "log-retention.yaml", schema: true, want: []string{
		":2: logRetentionDays: 45 is not a retention CloudWatch Logs offers; the nearest are 30 and 60",
	}},
	{file: "secret-partial-arn.yaml", schema: true, want: []string{
		":2: existingSecretArn: the ARN lacks the 6-character suffix Secrets Manager adds to the name; IAM needs the complete ARN to grant access without wildcards; get it with aws secretsmanager describe-secret --secret-id qlik/prod --query ARN",
	}},
	{file: "secret-name.yaml", schema: true, want: []string{
		`:2: existingSecretArn: "qlik/prod" is a secret name, not its ARN; IAM needs the complete ARN to grant access without wildcards; get it with aws secretsmanager describe-secret --secret-id qlik/prod --query ARN`,
	}},
	{file: "kms-alias.yaml", schema: true, want: []string{
		":2: kmsKeyArn: an alias cannot be used, because IAM grants name the key itself; get the key's ARN with aws kms describe-key --key-id alias/qlik --query KeyMetadata.Arn",
	}},
	{file: "arn-region-mismatch.yaml", want: []string{
		":4: existingSecretArn: the ARN is in region us-east-1 but the stacks deploy to eu-west-1; use one in eu-west-1",
	}},

	// Rows.
	{file: "row-not-mapping.yaml", schema: true, want: []string{
		":3: reloads[0]: a row must be a mapping of settings (name: ..., appId: ..., schedule: ...), not text",
	}},
	{file: "row-missing-keys.yaml", schema: true, want: []string{
		":3: reloads[0].name: missing; every row needs a unique name, such as sales-daily",
		":3: reloads[0].appId: missing; add the Qlik app's ID, the GUID in the app's address",
		":3: reloads[0].schedule: missing; add schedule: cron(...), rate(...) or at(...), such as cron(0 6 ? * MON-FRI *); or after: ROW to run after another row; or on: {s3: ...} to run on an event",
	}},
	{file: "row-unknown-key.yaml", schema: true, want: []string{
		":6: reloads[0].shedule: unknown field; did you mean schedule?",
		":7: reloads[0].region: unknown field; region is a setting of the whole file, not of a row",
	}},
	{file: "name-pattern.yaml", schema: true, want: []string{
		`:3: reloads[0].name: "Sales_Daily" is not a valid name; use lowercase letters, digits and single hyphens, such as sales-daily`,
	}},
	{file: "name-too-long.yaml", schema: true, want: []string{
		":3: reloads[0].name: the name is 65 characters; the limit is 64",
	}},
	{file: "name-duplicate.yaml", want: []string{
		`:6: reloads[1].name: "sales-daily" is already the name of reloads[0] on line 3; names must be unique`,
	}},
	{file: "app-id-uppercase.yaml", schema: true, want: []string{
		":4: reloads[0].appId: write the app ID in lowercase, as Qlik shows it: 687ef393-f0ad-4c64-ac59-6db967126015",
	}},
	{file: "app-id-not-guid.yaml", schema: true, want: []string{
		`:4: reloads[0].appId: "sales.qvf" is not a Qlik app ID; copy the GUID from the app's address, such as 687ef393-f0ad-4c64-ac59-6db967126015`,
	}},
	{file: "app-id-url-without-id.yaml", want: []string{
		`:4: reloads[0].appId: "https://acme.eu.qlikcloud.com/hub/home" is an address without an app ID in it; open the app in Qlik Cloud and copy the GUID after /app/ in its address, such as 687ef393-f0ad-4c64-ac59-6db967126015`,
	}},
	{file: "schedule-never.yaml", want: []string{
		":5: reloads[0].schedule: cron(0 8 31 2 ? *) matches no date, so the schedule would never run; check that the day-of-month exists in the months and years it names",
	}},
	{file: "schedule-both-days.yaml", want: []string{
		":5: reloads[0].schedule: day-of-month and day-of-week cannot both be set; use ? in one of them",
	}},
	{file: "schedule-rate-plural.yaml", want: []string{
		":5: reloads[0].schedule: rate(1 minutes): use the singular for a value of 1: rate(1 minute)",
	}},
	{file: "schedule-at-date.yaml", want: []string{
		":5: reloads[0].schedule: at(2026-02-30T06:00:00): February 2026 has no day 30; it has 28 days",
	}},
	{file: "row-timezone.yaml", want: []string{
		`:6: reloads[0].timezone: "CET+1" is not an IANA time zone; use a name such as Europe/Stockholm, America/New_York or UTC`,
	}},
	{file: "enabled-not-bool.yaml", schema: true, want: []string{
		`:6: reloads[0].enabled: "yes please" is not true or false; write true or false`,
	}},
	{file: "enabled-quoted.yaml", schema: true, want: []string{
		`:6: reloads[0].enabled: "false" is text because of the quotes; remove them: enabled: false`,
	}},
	{file: "partial-yaml11-bool.yaml", schema: true, want: []string{
		`:6: reloads[0].partial: "yes" is not true or false; write true or false`,
	}},
	{file: "number-as-text.yaml", schema: true, want: []string{
		`:6: reloads[0].description: expected text, got a number; quote it if it is meant as text: "42"`,
	}},
	{file: "description-too-long.yaml", schema: true, want: []string{
		":6: reloads[0].description: 513 characters is too long; the limit is 512",
	}},
	{file: "row-flexible-window.yaml", schema: true, want: []string{
		":6: reloads[0].flexibleWindowMinutes: -1 is out of range 0-1440",
	}},
	// How a row starts: schedule, after or on.
	{file: "start-two-ways.yaml", schema: true, want: []string{
		":6: reloads[0].after: a row starts one way: set one of schedule, after and on, not schedule and after; put the other in a row of its own",
	}},
	{file: "after-unknown.yaml", want: []string{
		":8: reloads[1].after: no row is named extract-sale; did you mean extract-sales?",
		":8: reloads[1].after: no row is named load-stock; the after of a row names another row of this file",
	}},
	{file: "after-self.yaml", want: []string{
		":5: reloads[0].after: transform-sales cannot run after itself; name the row it should follow",
	}},
	// Each loop once, from its first row in the file, in the order the
	// rows would run.
	{file: "after-cycle.yaml", want: []string{
		":5: reloads[0].after: the rows run after each other in a loop, a -> b -> c -> a, so none of them would ever start; remove one of these after entries",
		":17: reloads[4].after: the rows run after each other in a loop, d -> e -> d, so none of them would ever start; remove one of these after entries",
	}},
	{file: "after-list.yaml", schema: true, want: []string{
		":8: reloads[1].after: an empty list names no row to run after; name one, or use schedule instead",
		`:13: reloads[2].after[1]: "Transform_Sales" is not a valid name; use lowercase letters, digits and single hyphens, such as transform-sales`,
		":14: reloads[2].after[2]: extract-sales is listed twice, also on line 12; keep one",
	}},
	{file: "debounce-without-on.yaml", schema: true, want: []string{
		":6: reloads[0].debounceMinutes: applies only to a row with on: it merges the events of a window into one reload; remove it",
		":11: reloads[1].flexibleWindowMinutes: applies only to a row with a schedule; a row with after starts as soon as it is due; remove it",
	}},
	{file: "debounce-range.yaml", schema: true, want: []string{
		":6: reloads[0].debounceMinutes: 0 is out of range 1-1440",
	}},
	{file: "on-s3.yaml", schema: true, want: []string{
		`:7: reloads[0].on.s3.bucket: "s3://acme-exports/sales" is not an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit; give the name only, without s3:// or a path`,
		":8: reloads[0].on.s3.prefx: unknown field; did you mean prefix?",
		":12: reloads[1].on.s3.bucket: missing; name the bucket whose new objects start the reload",
	}},
	{file: "on-shape.yaml", schema: true, want: []string{
		":7: reloads[0].on: set s3 or eventPattern, not both; a row starts on one kind of event",
		":10: reloads[1].on: missing what to start on; add s3: {bucket: NAME, prefix: PATH/, suffix: .csv} or eventPattern: {source: [...]}",
		":13: reloads[2].on: expected a mapping with s3: {bucket: ...} or eventPattern: {...}, got text",
		":17: reloads[3].on.eventpattern: unknown field; did you mean eventPattern?",
	}},
	// Every problem EventBridge would refuse, each on its own line.
	{file: "on-event-pattern.yaml", want: []string{
		`:7: reloads[0].on.eventPattern.source: a field's values go in a list, even a single one: source: ["aws.glue"]`,
		":10: reloads[0].on.eventPattern.detail.state[0].anything-but: anything-but lists either only text or only numbers; EventBridge refuses a mix",
		":11: reloads[0].on.eventPattern.detail.jobName[0].prefx: prefx is not an operator EventBridge knows; did you mean prefix?",
		":13: reloads[0].on.eventPattern.detail.attempt[0].numeric: the range's lower bound 5 is not below its upper bound 1, so it matches nothing",
	}},
	{file: "weight-range.yaml", schema: true, want: []string{
		":6: reloads[0].weight: 11 is out of range 1-10",
	}},
	{file: "weight-fraction.yaml", schema: true, want: []string{
		":6: reloads[0].weight: 2.5 is not a whole number",
	}},
	{file: "weight-quoted.yaml", schema: true, want: []string{
		":6: reloads[0].weight: expected a number, got text; write it without quotes",
	}},
	{file: "row-max-delay.yaml", schema: true, want: []string{
		":6: reloads[0].maxDelayMinutes: 1441 is out of range 1-1440",
	}},
	{file: "variables-too-many.yaml", schema: true, want: []string{
		":6: reloads[0].variables: 21 variables is too many; the limit is 20",
	}},
	{file: "variables-non-scalar.yaml", schema: true, want: []string{
		":7: reloads[0].variables.regions: a variable's value must be text, a number or true/false, not a list",
	}},
	{file: "variables-null.yaml", schema: true, want: []string{
		`:7: reloads[0].variables.vEmpty: no value; write "" for an empty value`,
	}},
	{file: "variables-too-long.yaml", schema: true, want: []string{
		":7: reloads[0].variables.vLong: the value is 257 characters; the limit is 256",
	}},
	{file: "variables-not-mapping.yaml", schema: true, want: []string{
		":6: reloads[0].variables: expected a mapping of names to values, got a list",
	}},

	// Several problems in one file are all reported, in line order, though
	// the loader finds the duplicate name and the file-level ones in
	// separate passes.
	{file: "several-problems.yaml", want: []string{
		":2: tenantUrl: use https: https://acme.eu.qlikcloud.com",
		`:3: timezone: "Europe/Stokholm" is not an IANA time zone; did you mean Europe/Stockholm?`,
		":7: reloads[0].schedule: day-of-month and day-of-week cannot both be set; use ? in one of them",
		":8: reloads[1].schedule: missing; add schedule: cron(...), rate(...) or at(...), such as cron(0 6 ? * MON-FRI *); or after: ROW to run after another row; or on: {s3: ...} to run on an event",
		`:8: reloads[1].name: "sales-daily" is already the name of reloads[0] on line 5; names must be unique`,
		":10: reloads[1].shedule: unknown field; did you mean schedule?",
		":11: reloads[1].weight: 0 is out of range 1-10",
		":12: logRetentionDays: 100 is not a retention CloudWatch Logs offers; the nearest are 90 and 120",
	}},
}

// warningFiles lists the files under testdata/warnings: each loads, and
// Load returns these warnings with the Config, each written after the
// file's path.
var warningFiles = []struct {
	file string
	want []string
}{
	{file: "app-id-url.yaml", want: []string{
		":4: reloads[0].appId: took the app ID 687ef393-f0ad-4c64-ac59-6db967126015 from the app's address; write appId: 687ef393-f0ad-4c64-ac59-6db967126015",
	}},
	// A chain after a disabled row is kept, since pausing an extract for a
	// while should not mean editing every row after it.
	{file: "after-disabled.yaml", want: []string{
		":9: reloads[1].after: extract-sales is disabled, so transform-sales, which runs after it, does not start until extract-sales is enabled again",
	}},
	// A row that inherits the file's zone is not warned about again.
	{file: "timezone-fixed-offset.yaml", want: []string{
		":2: timezone: EST is a fixed offset, UTC-5, with no daylight saving time, so in summer its schedules run an hour off New York's clocks; name the place's zone, such as America/New_York",
		":7: reloads[0].timezone: EST5EDT is an old POSIX-style zone that follows today's United States rules, not a place's history; name the place's zone, such as America/New_York",
		":11: reloads[1].timezone: Etc/GMT+5 is a fixed offset, UTC-5 (the sign in these names is inverted), with no daylight saving time; if the place changes its clocks, name its zone, such as America/New_York",
	}},
}

func TestLoadWarnings(t *testing.T) {
	for _, tt := range warningFiles {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "warnings", tt.file)
			cfg, err := loadTestdata(t, path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(strings.Split(cfg.Warnings.Error(), "\n"), withPath(path, tt.want)); diff != "" {
				t.Errorf("warnings (-got +want):\n%s", diff)
			}
		})
	}
}

// TestEveryWarningFileIsListed keeps warningFiles and the files in step.
func TestEveryWarningFileIsListed(t *testing.T) {
	var listed []string
	for _, tt := range warningFiles {
		listed = append(listed, tt.file)
	}
	checkListed(t, "warnings", listed)
}

// TestLayoutAcceptsValidFiles: the indentation check that explains YAML
// syntax errors finds nothing wrong in files that parse.
func TestLayoutAcceptsValidFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("..", "..", "config", "*.yaml"))
	warnings, _ := filepath.Glob(filepath.Join("testdata", "warnings", "*.yaml"))
	for _, f := range append(append(files, more...), warnings...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n, msg := layoutProblem(data); n != 0 {
			t.Errorf("%s:%d: %s", f, n, msg)
		}
	}
}

func loadTestdata(t testing.TB, path string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Load(path, data)
}

func TestLoadInvalid(t *testing.T) {
	for _, tt := range invalidFiles {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "invalid", tt.file)
			cfg, err := loadTestdata(t, path)
			if cfg != nil {
				t.Errorf("Load returned a Config with problems")
			}
			var problems Problems
			if !errors.As(err, &problems) {
				t.Fatalf("Load error = %v, want Problems", err)
			}
			if diff := cmp.Diff(strings.Split(err.Error(), "\n"), withPath(path, tt.want)); diff != "" {
				t.Errorf("problems (-got +want):\n%s", diff)
			}
		})
	}
}

// TestEveryInvalidFileIsListed keeps the table and the files in step.
func TestEveryInvalidFileIsListed(t *testing.T) {
	var listed []string
	for _, tt := range invalidFiles {
		listed = append(listed, tt.file)
	}
	checkListed(t, "invalid", listed)
}

// withPath writes each expected line after the file's path, as messages
// read.
func withPath(path string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = path + l
	}
	return out
}

// checkListed checks that the YAML files under testdata/dir are exactly
// the listed ones.
func checkListed(t *testing.T, dir string, listed []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	if diff := cmp.Diff(got, listed, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("files under testdata/%s (-on disk +in the table):\n%s", dir, diff)
	}
}

func TestLoadValid(t *testing.T) {
	yes, no := true, false
	const app = "687ef393-f0ad-4c64-ac59-6db967126015"
	tests := []struct {
		file string
		want *Config
	}{
		{
			file: "minimal.yaml",
			want: &Config{
				Name: "minimal", Path: "testdata/valid/minimal.yaml",
				TenantURL: "https://acme.eu.qlikcloud.com", Timezone: "UTC",
				WaitSeconds: 5, ScheduleStacks: 1, ScheduleStacksHighWater: 1, LogRetentionDays: 90,
				Concurrency: 5, MaxDelayMinutes: 60, HistoryDays: 90, WatchReadsPerMinute: 100, MaxRunHours: 12,
			},
		},
		{
			file: "full.yaml",
			want: &Config{
				Name: "full", Path: "testdata/valid/full.yaml",
				TenantURL: "https://acme.eu.qlikcloud.com", Account: "012345678901", Region: "eu-north-1",
				Timezone: "Europe/Stockholm", AlarmEmail: "bi-ops@example.com",
				FlexibleWindowMinutes: 15, ReservedConcurrency: 10, WaitSeconds: 0, ScheduleStacks: 3, ScheduleStacksHighWater: 5, LogRetentionDays: 365,
				VPC:         &VPC{SubnetIDs: []string{"subnet-0123456789abcdef0", "subnet-89abcdef"}, SecurityGroupIDs: []string{"sg-0123456789abcdef0"}},
				Concurrency: 8, MaxDelayMinutes: 120, HistoryDays: 400, WatchReadsPerMinute: 50, MaxRunHours: 6,
				ExistingSecretArn: "arn:aws:secretsmanager:eu-north-1:012345678901:secret:qlik/prod-AbCdEf",
				KMSKeyArn:         "arn:aws:kms:eu-north-1:012345678901:key/mrk-0123456789abcdef0123456789abcdef",
				Reloads: []Reload{
					{
						Name: "sales-intraday", AppID: app, Schedule: "cron(0/5 8-17 ? * MON-FRI *)",
						Timezone: "America/New_York", Enabled: false, Partial: &yes,
						Description: "Sales, through the working day", FlexibleWindowMinutes: 0, Weight: 10,
						Variables: map[string]string{"vRegion": "EMEA", "vYear": "2026"}, MaxDelayMinutes: 15, Line: 25,
					},
					{
						// Inherits the file's time zone and flexible window.
						Name: "sales-weekend", AppID: app, Schedule: "rate(1 day)",
						Timezone: "Europe/Stockholm", Enabled: true, Partial: &no,
						FlexibleWindowMinutes: 15, Line: 38,
					},
				},
			},
		},
		{
			file: "variables-literal.yaml",
			want: &Config{
				Name: "variables-literal", Path: "testdata/valid/variables-literal.yaml",
				TenantURL: "https://acme.eu.qlikcloud.com", Timezone: "UTC", WaitSeconds: 5, ScheduleStacks: 1, ScheduleStacksHighWater: 1, LogRetentionDays: 90,
				Concurrency: 5, MaxDelayMinutes: 60, HistoryDays: 90, WatchReadsPerMinute: 100, MaxRunHours: 12,
				Reloads: []Reload{{
					Name: "sales-daily", AppID: app, Schedule: "cron(0 6 ? * MON-FRI *)", Timezone: "UTC", Enabled: true, Line: 3,
					// Every value is kept exactly as written.
					Variables: map[string]string{
						"text": "plain text", "quoted": "007", "integer": "2024", "leadingZero": "0042",
						"hex": "0x1F", "float": "1.50", "exponent": "1e3", "boolean": "true", "yaml11": "yes",
						"empty": "", "block": "two\nlines\n",
					},
				}},
			},
		},
		{
			file: "flow-style.yaml",
			want: &Config{
				Name: "flow-style", Path: "testdata/valid/flow-style.yaml",
				TenantURL: "https://acme.eu.qlikcloud.com", Timezone: "UTC", WaitSeconds: 5, ScheduleStacks: 1, ScheduleStacksHighWater: 1, LogRetentionDays: 90,
				Concurrency: 5, MaxDelayMinutes: 60, HistoryDays: 90, WatchReadsPerMinute: 100, MaxRunHours: 12,
				Reloads: []Reload{
					{Name: "a", AppID: app, Schedule: "rate(5 minutes)", Timezone: "UTC", Enabled: true, Line: 2},
					{Name: "b", AppID: app, Schedule: "at(2026-12-24T15:00:00)", Timezone: "UTC", Enabled: true, Line: 2},
				},
			},
		},
		{
			// Chains and events: no flexible window, a debounce window
			// only on events, and the pattern EventBridge receives.
			file: "chains-events.yaml",
			want: &Config{
				Name: "chains-events", Path: "testdata/valid/chains-events.yaml",
				TenantURL: "https://acme.eu.qlikcloud.com", Timezone: "UTC", WaitSeconds: 5, ScheduleStacks: 1, ScheduleStacksHighWater: 1, LogRetentionDays: 90,
				Concurrency: 5, MaxDelayMinutes: 60, HistoryDays: 90, WatchReadsPerMinute: 100, MaxRunHours: 12,
				Reloads: []Reload{
					{Name: "extract-sales", AppID: app, Schedule: "cron(0 6 * * ? *)", Timezone: "UTC", Enabled: true, Line: 3},
					{
						Name: "extract-stock", AppID: "3b5d8c1e-9a47-4f02-b6e3-2c1f0a9d7e54", Timezone: "UTC", Enabled: true, Line: 6,
						On: &Trigger{
							S3:           &S3Trigger{Bucket: "acme-exports", Prefix: "stock/", Suffix: ".csv"},
							EventPattern: `{"detail":{"bucket":{"name":["acme-exports"]},"object":{"key":[{"wildcard":"stock/*.csv"}]}},"detail-type":["Object Created"],"source":["aws.s3"]}`,
						},
						DebounceMinutes: 5,
					},
					{
						Name: "transform", AppID: "9c2e4f7a-1b3d-4e5f-8a6b-7c9d0e1f2a3b", After: []string{"extract-sales", "extract-stock"},
						Timezone: "Europe/Stockholm", Enabled: true, Line: 10,
					},
					{Name: "dashboard", AppID: "5e8a1c3f-7d2b-4a6e-9f0c-1b2d3e4f5a6b", After: []string{"transform"}, Timezone: "UTC", Line: 14},
					{
						Name: "glue-done", AppID: app, Timezone: "UTC", Enabled: true, Line: 18, DebounceMinutes: 15,
						On: &Trigger{EventPattern: `{"detail":{"jobName":[{"prefix":"sales-"}],"state":["SUCCEEDED"]},"detail-type":["Glue Job State Change"],"source":["aws.glue"]}`},
					},
					{
						Name: "uploads", AppID: app, Timezone: "UTC", Enabled: true, Line: 28, DebounceMinutes: 5,
						On: &Trigger{
							S3:           &S3Trigger{Bucket: "acme-uploads"},
							EventPattern: `{"detail":{"bucket":{"name":["acme-uploads"]}},"detail-type":["Object Created"],"source":["aws.s3"]}`,
						},
					},
				},
			},
		},
		{
			// An anchor without an alias is harmless and is ignored.
			file: "anchors.yaml",
			want: &Config{
				Name: "anchors", Path: "testdata/valid/anchors.yaml",
				TenantURL: "https://acme.eu.qlikcloud.com", Timezone: "UTC", WaitSeconds: 5, ScheduleStacks: 1, ScheduleStacksHighWater: 1, LogRetentionDays: 90,
				Concurrency: 5, MaxDelayMinutes: 60, HistoryDays: 90, WatchReadsPerMinute: 100, MaxRunHours: 12,
				Reloads: []Reload{{Name: "nightly", AppID: app, Schedule: "cron(0 2 * * ? *)", Timezone: "UTC", Enabled: true, Line: 3}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := loadTestdata(t, "testdata/valid/"+tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Config (-got +want):\n%s", diff)
			}
		})
	}
}

// TestEveryValidFileIsTested keeps TestLoadValid and the files in step.
func TestEveryValidFileIsTested(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 6 {
		t.Errorf("testdata/valid holds %d files; give each new one a case in TestLoadValid", len(files))
	}
}

// TestConfigFiles loads every environment CI synthesizes.
func TestConfigFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no config/*.yaml found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := LoadFile(f); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"prod.yaml", "staging.yml", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "prdo.yaml")
	_, err := LoadFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadFile error = %v, want one that is fs.ErrNotExist", err)
	}
	want := fmt.Sprintf("read config file: open %s: no such file or directory; the environments in %s are prod, staging (choose one with ENV=prod)", path, dir)
	if got := err.Error(); got != want {
		t.Errorf("LoadFile error\n got: %s\nwant: %s", got, want)
	}
}

// tableYAML returns a file with n rows named row-0000, row-0001 and so on.
func tableYAML(n, stacks int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "tenantUrl: https://acme.eu.qlikcloud.com\ntimezone: Europe/Stockholm\nscheduleStacks: %d\nreloads:\n", stacks)
	for i := range n {
		fmt.Fprintf(&b, "  - name: row-%04d\n    appId: 687ef393-f0ad-4c64-ac59-6db967126015\n    schedule: cron(%d %d ? * MON-FRI *)\n", i, i%60, i%24)
		if i%3 == 0 {
			b.WriteString("    partial: true\n    variables:\n      vRow: " + fmt.Sprint(i) + "\n")
		}
	}
	return []byte(b.String())
}

func TestStackCapacity(t *testing.T) {
	tests := []struct {
		name   string
		rows   int
		stacks int
		want   string
	}{
		{name: "fits one stack", rows: 450, stacks: 1},
		{
			name: "one stack too many", rows: 451, stacks: 1,
			want: "config/big.yaml:4: reloads: 451 rows would put 451 schedules in the one stack, more than the 450 a stack can hold; set scheduleStacks: 2 or more, which also leaves about 20% room to grow; changing scheduleStacks moves rows between stacks",
		},
		{
			name: "room to grow needs more", rows: 800, stacks: 1,
			want: "config/big.yaml:4: reloads: 800 rows would put 800 schedules in the one stack, more than the 450 a stack can hold; set scheduleStacks: 2 or more (3 leaves about 20% room to grow); changing scheduleStacks moves rows between stacks",
		},
		{
			name: "uneven hash", rows: 1000, stacks: 2,
			want: "config/big.yaml:4: reloads: 1000 rows would put 508 schedules in stack 0 of stacks 0-1, more than the 450 a stack can hold; set scheduleStacks: 3 or more, which also leaves about 20% room to grow; changing scheduleStacks moves rows between stacks",
		},
		{name: "fits three stacks", rows: 1000, stacks: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("config/big.yaml", tableYAML(tt.rows, tt.stacks))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Load error\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

// TestStackIndexNeverChanges pins StackIndex: a change would move deployed
// schedules between stacks.
func TestStackIndexNeverChanges(t *testing.T) {
	tests := []struct {
		name   string
		stacks int
		want   int
	}{
		{"a", 1000, 163},
		{"sales-daily", 1, 0},
		{"sales-daily", 7, 6},
		{"sales-weekend", 7, 5},
		{"finance-month-end", 100, 55},
		{"anything", 0, 0},
		{"anything", -3, 0},
	}
	for _, tt := range tests {
		if got := StackIndex(tt.name, tt.stacks); got != tt.want {
			t.Errorf("StackIndex(%q, %d) = %d, want %d", tt.name, tt.stacks, got, tt.want)
		}
	}
}

func TestInput(t *testing.T) {
	yes, no := true, false
	const app = "687ef393-f0ad-4c64-ac59-6db967126015"
	const head = `{"appId":"687ef393-f0ad-4c64-ac59-6db967126015","row":"sales-daily","scheduledTime":"<aws.scheduler.scheduled-time>"`
	tests := []struct {
		name string
		row  Reload
		want string
	}{
		{"app, row and scheduled time only", Reload{Name: "sales-daily", AppID: app}, head + `}`},
		{"partial false is sent", Reload{Name: "sales-daily", AppID: app, Partial: &no}, head + `,"partial":false}`},
		{
			"every field in fixed order",
			Reload{Name: "sales-daily", AppID: app, Partial: &yes, Weight: 3, MaxDelayMinutes: 30, Timezone: "Europe/Stockholm", Variables: map[string]string{"z": "last", "a": `"quoted" <b>`, "m": ""}},
			head + `,"partial":true,"variables":{"a":"\"quoted\" \u003cb\u003e","m":"","z":"last"},"weight":3,"maxDelayMinutes":30,"timezone":"Europe/Stockholm"}`,
		},
		{
			"settings that are not in the message",
			Reload{Name: "sales-daily", AppID: app, Schedule: "rate(1 day)", Description: "d", Timezone: "UTC", Enabled: true, FlexibleWindowMinutes: 5},
			head + `}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.row.Input()
			if got != tt.want {
				t.Errorf("Input()\n got: %s\nwant: %s", got, tt.want)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(got), &v); err != nil {
				t.Errorf("Input() is not JSON: %v", err)
			}
		})
	}
}

func TestProblemFormat(t *testing.T) {
	tests := []struct {
		problem Problem
		want    string
	}{
		{Problem{File: "config/prod.yaml", Line: 12, Field: "reloads[3].schedule", Message: "m"}, "config/prod.yaml:12: reloads[3].schedule: m"},
		{Problem{File: "config/prod.yaml", Line: 4, Message: "m"}, "config/prod.yaml:4: m"},
		{Problem{File: "config/prod_eu.yaml", Message: "m"}, "config/prod_eu.yaml: m"},
	}
	for _, tt := range tests {
		if got := tt.problem.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// FuzzLoad checks that no input makes Load panic, and that it returns
// either a Config or Problems, never both or neither.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Load("config/fuzz.yaml", data)
		var problems Problems
		switch {
		case err == nil && cfg == nil, err != nil && cfg != nil:
			t.Fatalf("Load = %v, %v", cfg, err)
		case err != nil && (!errors.As(err, &problems) || len(problems) == 0):
			t.Fatalf("Load error %v is not Problems", err)
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	const rows = 5000
	data := tableYAML(rows, 20)
	if _, err := Load("config/big.yaml", data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Load("config/big.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
	perLoad := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perLoad*1e9/rows, "ns/row")
	b.ReportMetric(rows/perLoad, "rows/s")
}

// TestEventRowLimits: on rows beyond what the start queue's policy can name,
// or wildcards beyond the default bus's quota, fail at synth.
func TestEventRowLimits(t *testing.T) {
	table := func(rows int, on string) []byte {
		var b strings.Builder
		b.WriteString("tenantUrl: https://acme.eu.qlikcloud.com\nreloads:\n")
		for i := range rows {
			fmt.Fprintf(&b, "  - name: files-%d\n    appId: 687ef393-f0ad-4c64-ac59-6db967126015\n    on: %s\n", i, on)
		}
		return []byte(b.String())
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"as many as fit", table(MaxEventRows, "{s3: {bucket: acme-exports, prefix: a/}}"), ""},
		{"one too many", table(MaxEventRows+1, "{s3: {bucket: acme-exports, prefix: a/}}"),
			"t.yaml:2: reloads: 61 rows start on events; one environment holds at most 60, since the start queue's policy names each rule and SQS limits a policy to 8,192 bytes; split the rows over environments, or start several apps from one event through chains (after)"},
		{"wildcards", table(MaxWildcardRulesPerBus+1, "{s3: {bucket: acme-exports, prefix: a/, suffix: .csv}}"),
			"t.yaml:2: reloads: 31 rows use a wildcard (an s3 trigger with both prefix and suffix is one); the default event bus holds at most 30 such rules; drop the prefix or the suffix of some"},
	}
	// The core stack holds the event rules beside its schedules.
	crowded := []byte(strings.ReplaceAll(string(table(440, "")), "    on: \n", "    schedule: rate(1 hour)\n"))
	for i := range 11 {
		crowded = fmt.Appendf(crowded, "  - name: event-%d\n    appId: 687ef393-f0ad-4c64-ac59-6db967126015\n    on: {s3: {bucket: acme-exports}}\n", i)
	}
	tests = append(tests, struct {
		name string
		data []byte
		want string
	}{"core stack full", crowded,
		"t.yaml:2: reloads: 451 rows would put 451 schedules and event rules (11 rows with on) in the one stack, more than the 450 a stack can hold; set scheduleStacks: 2 or more, which also leaves about 20% room to grow; changing scheduleStacks moves rows between stacks"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("t.yaml", tt.data)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Load error = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEventInput: an on row's rule makes the row's message, with the
// event's time as scheduledTime and the debounce window last.
func TestEventInput(t *testing.T) {
	cfg, err := loadTestdata(t, "testdata/valid/chains-events.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"appId":"687ef393-f0ad-4c64-ac59-6db967126015","row":"glue-done","scheduledTime":<time>,"debounceMinutes":15}`
	if got := cfg.Reloads[4].EventInput(); got != want {
		t.Errorf("EventInput = %s, want %s", got, want)
	}
}
