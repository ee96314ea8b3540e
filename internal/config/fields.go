package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/schedule"
)

// rawConfig is what the file sets, before defaults.
type rawConfig struct {
	tenantURL, account, region, timezone, alarmEmail setting[string]
	flexibleWindowMinutes, reservedConcurrency       setting[int]
	waitSeconds, scheduleStacks, logRetentionDays    setting[int]
	concurrency, maxDelayMinutes, historyDays        setting[int]
	watchReadsPerMinute, maxRunHours                 setting[int]
	existingSecretArn, kmsKeyArn                     setting[string]
	scheduleStacksHighWater                          setting[int]
	vpc                                              setting[*VPC]
	// reloads.line is the line of the reloads key; value holds the rows.
	reloads setting[[]rawReload]
	// line is the line the file's mapping starts on, for missing keys.
	line int
}

// rawReload is what one row sets, before defaults.
type rawReload struct {
	index, line                                  int
	name, appID, schedule, timezone, description setting[string]
	enabled, partial                             setting[bool]
	flexibleWindowMinutes, weight                setting[int]
	maxDelayMinutes                              setting[int]
	variables                                    setting[map[string]string]
	// after, on and debounceMinutes are decoded in triggers.go.
	after           setting[[]upstream]
	on              setting[Trigger]
	debounceMinutes setting[int]
}

// Limits of a row, from the reload function's event contract and
// EventBridge Scheduler.
const (
	maxRowNameLength     = 64
	maxDescriptionLength = 512 // Scheduler's limit on a schedule description.
	maxVariables         = 20
	maxVariableLength    = 256
	maxFlexibleWindow    = 1440 // Scheduler's limit, in minutes.
	// maxWaitSeconds keeps the wait well inside the function's timeout,
	// which must also hold a rate-limited start's Retry-After.
	maxWaitSeconds = 60
	// Lambda's event source mapping for SQS runs 2 to 1000 functions at
	// once (ScalingConfig.MaximumConcurrency).
	minConcurrency = 2
	maxConcurrency = 1000
	// A run may start at most a day after its scheduled time: later, the
	// next day's run is usually due, and a person should decide.
	maxDelayMinutesLimit = 1440
	// The ledger keeps a run at least as long as a message about it may
	// wait in the dead-letter queue: a run reaches it at most a day after
	// its scheduled time (the largest maxDelayMinutes), and SQS keeps it
	// there 14 days at most. So a redriven message always finds its run and
	// starts nothing twice. At most ten years, like the longest log
	// retention.
	minHistoryDays = 15
	maxHistoryDays = 3653
	// The watcher's reads share Qlik's limit of 1,000 reads a minute with
	// the reload function's; it may take at most half of it.
	maxWatchReadsPerMinute = 500
	// A reload may wait in Qlik's queue for up to 6 hours and run for up
	// to 3; a week is more than any reload lasts.
	maxRunHoursLimit = 168
)

// logRetentionValues are the retention periods, in days, CloudWatch Logs
// accepts.
var logRetentionValues = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// configRules are the keys of the file, in the order the schema and the
// example present them. The schema test reads its key list from here.
var configRules = []fieldRule[rawConfig]{
	{"tenantUrl", func(d *decoder, v value, c *rawConfig) { c.tenantURL = check(d, v, d.text(v), tenantURL) }},
	{"account", func(d *decoder, v value, c *rawConfig) { c.account = d.account(v) }},
	{"region", func(d *decoder, v value, c *rawConfig) { c.region = check(d, v, d.text(v), knownRegion) }},
	{"timezone", func(d *decoder, v value, c *rawConfig) { c.timezone = check(d, v, d.text(v), d.zone(v)) }},
	{"alarmEmail", func(d *decoder, v value, c *rawConfig) { c.alarmEmail = check(d, v, d.text(v), email) }},
	{"flexibleWindowMinutes", func(d *decoder, v value, c *rawConfig) {
		c.flexibleWindowMinutes = check(d, v, d.integer(v), inRange(0, maxFlexibleWindow))
	}},
	{"reservedConcurrency", func(d *decoder, v value, c *rawConfig) {
		c.reservedConcurrency = check(d, v, d.integer(v), reservedConcurrency)
	}},
	{"concurrency", func(d *decoder, v value, c *rawConfig) {
		c.concurrency = check(d, v, d.integer(v), concurrency)
	}},
	{"waitSeconds", func(d *decoder, v value, c *rawConfig) {
		c.waitSeconds = check(d, v, d.integer(v), inRange(0, maxWaitSeconds))
	}},
	{"maxDelayMinutes", func(d *decoder, v value, c *rawConfig) {
		c.maxDelayMinutes = check(d, v, d.integer(v), inRange(1, maxDelayMinutesLimit))
	}},
	{"historyDays", func(d *decoder, v value, c *rawConfig) {
		c.historyDays = check(d, v, d.integer(v), historyDays)
	}},
	{"watchReadsPerMinute", func(d *decoder, v value, c *rawConfig) {
		c.watchReadsPerMinute = check(d, v, d.integer(v), inRange(1, maxWatchReadsPerMinute))
	}},
	{"maxRunHours", func(d *decoder, v value, c *rawConfig) {
		c.maxRunHours = check(d, v, d.integer(v), inRange(1, maxRunHoursLimit))
	}},
	{"scheduleStacks", func(d *decoder, v value, c *rawConfig) {
		c.scheduleStacks = check(d, v, d.integer(v), inRange(1, maxScheduleStacks))
	}},
	{"scheduleStacksHighWater", func(d *decoder, v value, c *rawConfig) {
		c.scheduleStacksHighWater = check(d, v, d.integer(v), inRange(1, maxScheduleStacks))
	}},
	{"logRetentionDays", func(d *decoder, v value, c *rawConfig) {
		c.logRetentionDays = d.logRetentionDays(v)
	}},
	{"existingSecretArn", func(d *decoder, v value, c *rawConfig) {
		c.existingSecretArn = check(d, v, d.text(v), secretARN)
	}},
	{"kmsKeyArn", func(d *decoder, v value, c *rawConfig) { c.kmsKeyArn = check(d, v, d.text(v), kmsKeyARN) }},
	{"vpc", func(d *decoder, v value, c *rawConfig) { c.vpc = d.vpc(v) }},
	{"reloads", func(d *decoder, v value, c *rawConfig) { c.reloads = d.rows(v) }},
}

// reloadRules are the keys of a row, in the order the schema and the
// example present them.
var reloadRules = []fieldRule[rawReload]{
	{"name", func(d *decoder, v value, r *rawReload) { r.name = check(d, v, d.text(v), rowName) }},
	{"appId", func(d *decoder, v value, r *rawReload) { r.appID = check(d, v, d.text(v), d.appIDRule(v)) }},
	{"schedule", func(d *decoder, v value, r *rawReload) { r.schedule = check(d, v, d.text(v), scheduleExpression) }},
	{"after", func(d *decoder, v value, r *rawReload) { r.after = d.after(v) }},
	{"on", func(d *decoder, v value, r *rawReload) { r.on = d.on(v) }},
	{"debounceMinutes", func(d *decoder, v value, r *rawReload) {
		r.debounceMinutes = check(d, v, d.integer(v), inRange(1, maxDebounceMinutes))
	}},
	{"timezone", func(d *decoder, v value, r *rawReload) { r.timezone = check(d, v, d.text(v), d.zone(v)) }},
	{"enabled", func(d *decoder, v value, r *rawReload) { r.enabled = d.boolean(v) }},
	{"partial", func(d *decoder, v value, r *rawReload) { r.partial = d.boolean(v) }},
	{"description", func(d *decoder, v value, r *rawReload) {
		r.description = check(d, v, d.text(v), maxLength(maxDescriptionLength))
	}},
	{"flexibleWindowMinutes", func(d *decoder, v value, r *rawReload) {
		r.flexibleWindowMinutes = check(d, v, d.integer(v), inRange(0, maxFlexibleWindow))
	}},
	{"weight", func(d *decoder, v value, r *rawReload) { r.weight = check(d, v, d.integer(v), inRange(1, 10)) }},
	{"variables", func(d *decoder, v value, r *rawReload) { r.variables = d.variables(v) }},
	{"maxDelayMinutes", func(d *decoder, v value, r *rawReload) {
		r.maxDelayMinutes = check(d, v, d.integer(v), inRange(1, maxDelayMinutesLimit))
	}},
}

// misplacedInFile and misplacedInRow say where a key of the other level
// belongs; keys both levels share are never misplaced.
var misplacedInFile, misplacedInRow map[string]string

// init derives the misplaced-key hints from the rule tables. It cannot be a
// variable initializer: the rules refer to the hints, through decoding the
// rows.
func init() {
	misplacedInFile, misplacedInRow = misplaced(keysOf(configRules), keysOf(reloadRules))
}

func misplaced(fileKeys, rowKeys []string) (inFile, inRow map[string]string) {
	inFile, inRow = map[string]string{}, map[string]string{}
	for _, k := range rowKeys {
		if !slices.Contains(fileKeys, k) {
			inFile[k] = k + " is a setting of a row; put it under reloads"
		}
	}
	for _, k := range fileKeys {
		if !slices.Contains(rowKeys, k) {
			inRow[k] = k + " is a setting of the whole file, not of a row"
		}
	}
	return inFile, inRow
}

// decodeFile decodes the file's top-level mapping and checks the keys it
// requires.
func (d *decoder) decodeFile(body ast.Node, c *rawConfig) {
	c.line = line(body)
	if !decodeMapping(d, body, "", configRules, misplacedInFile, c) {
		d.add(line(body), "", "the file must be a mapping of settings (tenantUrl: ..., reloads: ...), not %s", describe(body))
		return
	}
	if c.tenantURL.line == 0 {
		d.add(c.line, "tenantUrl", "missing; add the Qlik Cloud tenant's address, such as https://acme.eu.qlikcloud.com")
	}
	if c.reloads.line == 0 {
		d.add(c.line, "reloads", "missing; use reloads: [] for an environment with no schedules yet")
	}
	// An environment is pinned to an account and region together, or left
	// to the deploying credentials entirely.
	switch {
	case c.account.line != 0 && c.region.line == 0:
		d.add(c.account.line, "region", "missing; account and region go together: set both or neither")
	case c.region.line != 0 && c.account.line == 0:
		d.add(c.region.line, "account", "missing; account and region go together: set both or neither")
	}
	// Lambda throttles a queue's functions beyond the function's reserved
	// concurrency, and every throttled batch counts as a receive of its
	// messages, so the queue may not ask for more.
	if c.reservedConcurrency.ok && (c.concurrency.ok || c.concurrency.line == 0) {
		n := or(c.concurrency, defaultConcurrency)
		if n > c.reservedConcurrency.value {
			line, what := c.reservedConcurrency.line, fmt.Sprintf("the default concurrency of %d", n)
			if c.concurrency.ok {
				line, what = c.concurrency.line, fmt.Sprintf("concurrency %d", n)
			}
			d.add(line, "concurrency", "%s is above reservedConcurrency %d, so Lambda would throttle the start queue's functions; set concurrency: %d or less, or raise reservedConcurrency",
				what, c.reservedConcurrency.value, c.reservedConcurrency.value)
		}
	}
	// A high-water mark below the stack count would not keep the stacks a
	// later decrease empties.
	if c.scheduleStacksHighWater.ok && c.scheduleStacks.ok && c.scheduleStacksHighWater.value < c.scheduleStacks.value {
		d.add(c.scheduleStacksHighWater.line, "scheduleStacksHighWater",
			"%d is below scheduleStacks: %d; set it to %d or more, the most schedule stacks this environment has deployed, so that lowering scheduleStacks later deletes the stacks it empties",
			c.scheduleStacksHighWater.value, c.scheduleStacks.value, c.scheduleStacks.value)
	}
	// The function reads the secret, and Secrets Manager uses the key, in
	// the stack's region.
	if c.region.ok {
		for _, arn := range []struct {
			key string
			s   setting[string]
		}{{"existingSecretArn", c.existingSecretArn}, {"kmsKeyArn", c.kmsKeyArn}} {
			if arn.s.ok {
				if r := strings.Split(arn.s.value, ":")[3]; r != c.region.value {
					d.add(arn.s.line, arn.key, "the ARN is in region %s but the stacks deploy to %s; use one in %s", r, c.region.value, c.region.value)
				}
			}
		}
	}
}

// rows decodes the reloads list.
func (d *decoder) rows(v value) setting[[]rawReload] {
	s := setting[[]rawReload]{line: v.line}
	seq, ok := v.node.(*ast.SequenceNode)
	if !ok {
		if _, null := v.node.(*ast.NullNode); null {
			d.add(v.line, v.field, "no rows given; use reloads: [] for an environment with no schedules yet")
		} else {
			d.add(v.line, v.field, "expected a list of rows, each starting with - name: ..., got %s", describe(v.node))
		}
		return s
	}
	s.ok = true
	for i, item := range seq.Values {
		field := fmt.Sprintf("reloads[%d]", i)
		r := rawReload{index: i, line: line(item)}
		if pairs, ok := mappingPairs(item); ok && len(pairs) > 0 {
			r.line = line(pairs[0].Key)
		}
		if !decodeMapping(d, item, field, reloadRules, misplacedInRow, &r) {
			d.add(line(item), field, "a row must be a mapping of settings (name: ..., appId: ..., schedule: ...), not %s", describe(item))
			s.value = append(s.value, r)
			continue
		}
		if r.name.line == 0 {
			d.add(r.line, field+".name", "missing; every row needs a unique name, such as sales-daily")
		}
		if r.appID.line == 0 {
			d.add(r.line, field+".appId", "missing; add the Qlik app's ID, the GUID in the app's address")
		}
		d.startProblems(r, field)
		s.value = append(s.value, r)
	}
	return s
}

// variables decodes a row's variables: a mapping of names to scalar values,
// each kept as its literal text (year: 2024 is "2024"), because the reload
// passes them to Qlik as text.
func (d *decoder) variables(v value) setting[map[string]string] {
	s := setting[map[string]string]{line: v.line}
	pairs, ok := mappingPairs(v.node)
	if !ok {
		d.wrongType(v, "a mapping of names to values")
		return s
	}
	before := len(d.problems)
	if len(pairs) > maxVariables {
		d.add(v.line, v.field, "%d variables is too many; the limit is %d", len(pairs), maxVariables)
	}
	vars := make(map[string]string, len(pairs))
	seen := map[string]int{}
	for _, kv := range pairs {
		name, keyLine, ok := d.key(kv, v.field)
		if !ok {
			continue
		}
		field := v.field + "." + name
		if first, dup := seen[name]; dup {
			d.add(keyLine, field, "set twice, also on line %d; keep one", first)
			continue
		}
		seen[name] = keyLine
		switch n := utf8.RuneCountInString(name); {
		case n == 0:
			d.add(keyLine, v.field, "a variable name cannot be empty")
		case n > maxVariableLength:
			d.add(keyLine, field, "the name is %d characters; the limit is %d", n, maxVariableLength)
		}
		val, ok := d.value(kv, field, keyLine)
		if !ok {
			continue
		}
		var text string
		switch n := val.node.(type) {
		case *ast.StringNode:
			text = n.Value
		case *ast.LiteralNode:
			text = n.Value.Value
		case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
			text = n.GetToken().Value
		case *ast.NullNode:
			d.add(keyLine, field, `no value; write "" for an empty value`)
			continue
		default:
			d.add(keyLine, field, "a variable's value must be text, a number or true/false, not %s", describe(n))
			continue
		}
		if n := utf8.RuneCountInString(text); n > maxVariableLength {
			d.add(keyLine, field, "the value is %d characters; the limit is %d", n, maxVariableLength)
		}
		vars[name] = text
	}
	s.value, s.ok = vars, len(d.problems) == before
	return s
}

// account decodes the AWS account ID, which must be quoted: YAML reads an
// unquoted 012345678901 as a number and drops the leading zero.
func (d *decoder) account(v value) setting[string] {
	tk := v.node.GetToken()
	quoted := tk != nil && (tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType)
	switch v.node.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode:
		if !quoted {
			example := tk.Value
			if !accountID.MatchString(example) {
				example = "012345678901"
			}
			d.add(v.line, v.field, "put the account ID in quotes so YAML keeps its leading zeros: account: %q", example)
			return setting[string]{line: v.line}
		}
	}
	return check(d, v, d.text(v), func(s string) (string, string) {
		if !accountID.MatchString(s) {
			return s, fmt.Sprintf("%q is not an AWS account ID; it has exactly 12 digits", s)
		}
		return s, ""
	})
}

var (
	accountID   = regexp.MustCompile(`^[0-9]{12}$`)
	regionName  = `[a-z]{2}(?:-[a-z]+){1,3}-[0-9]{1,2}`
	regionRE    = regexp.MustCompile(`^` + regionName + `$`)
	hostName    = regexp.MustCompile(`^(?i:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)$`)
	rowNameRE   = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	guid        = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	guidAnyCase = regexp.MustCompile(`^(?i:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

	partition = `(aws|aws-cn|aws-us-gov)`
	// A complete secret ARN ends in the name, a hyphen and six random
	// characters that Secrets Manager adds.
	secretARNRE        = regexp.MustCompile(`^arn:` + partition + `:secretsmanager:(` + regionName + `):([0-9]{12}):secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	partialSecretARNRE = regexp.MustCompile(`^arn:` + partition + `:secretsmanager:(` + regionName + `):([0-9]{12}):secret:([A-Za-z0-9/_+=.@-]+)$`)
	kmsKeyARNRE        = regexp.MustCompile(`^arn:` + partition + `:kms:(` + regionName + `):([0-9]{12}):key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	kmsAliasRE         = regexp.MustCompile(`^(?:arn:` + partition + `:kms:[^:]*:[0-9]*:)?(alias/.+)$`)
)

// tenantURL accepts https://host and nothing more, dropping a trailing
// slash: the function appends API paths to it.
func tenantURL(s string) (string, string) {
	const example = "https://acme.eu.qlikcloud.com"
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		if !strings.Contains(s, "://") && hostName.MatchString(strings.TrimSuffix(s, "/")) {
			return s, fmt.Sprintf("%q is not a URL; write https://%s", s, strings.TrimSuffix(s, "/"))
		}
		return s, fmt.Sprintf("%q is not a URL; give the tenant's address, such as %s", s, example)
	}
	host := u.Hostname()
	switch {
	case strings.EqualFold(u.Scheme, "http"):
		return s, "use https: https://" + u.Host
	case !strings.EqualFold(u.Scheme, "https"):
		return s, fmt.Sprintf("use https, not %s: https://%s", u.Scheme, u.Host)
	case u.User != nil:
		return s, "remove the user name; give only https://" + u.Host
	case u.Port() != "":
		return s, fmt.Sprintf("remove the port :%s; give only https://%s", u.Port(), host)
	case u.Path != "" && u.Path != "/" || u.RawPath != "":
		return s, fmt.Sprintf("remove the path %s; give only the tenant's address: https://%s", u.EscapedPath(), host)
	case u.RawQuery != "" || u.ForceQuery:
		return s, "remove the query; give only https://" + host
	case u.Fragment != "" || strings.Contains(s, "#"):
		return s, "remove the fragment; give only https://" + host
	case !hostName.MatchString(host):
		return s, fmt.Sprintf("%q is not a host name; give the tenant's address, such as %s", host, example)
	}
	return "https://" + host, ""
}

func region(s string) (string, string) {
	if !regionRE.MatchString(s) {
		return s, fmt.Sprintf("%q is not an AWS region name, such as eu-west-1", s)
	}
	return s, ""
}

// email accepts a plain address: SNS subscribes exactly this endpoint.
func email(s string) (string, string) {
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return s, fmt.Sprintf("%q is not an email address", s)
	}
	if addr.Name != "" || addr.Address != s {
		return s, fmt.Sprintf("give the plain address without a name or angle brackets: %s", addr.Address)
	}
	return s, ""
}

func reservedConcurrency(n int) (int, string) {
	switch {
	case n == 0:
		return n, "0 would stop every reload; remove the line to use the account's unreserved concurrency, or set 1-1000"
	case n < 1 || n > 1000:
		return n, fmt.Sprintf("%d is out of range 1-1000", n)
	}
	return n, ""
}

// concurrency accepts how many functions the start queue's event source
// mapping may run at once.
func concurrency(n int) (int, string) {
	if n < minConcurrency || n > maxConcurrency {
		return n, fmt.Sprintf("%d is out of range %d-%d; Lambda reads a queue with at least %d functions at once, and reservedConcurrency caps a single one", n, minConcurrency, maxConcurrency, minConcurrency)
	}
	return n, ""
}

// historyDays accepts how long the ledger keeps a run.
func historyDays(n int) (int, string) {
	switch {
	case n < minHistoryDays:
		return n, fmt.Sprintf("%d is too short; keep runs at least %d days, as long as a run's message may wait in the dead-letter queue, so that a redriven run finds its record and starts nothing twice", n, minHistoryDays)
	case n > maxHistoryDays:
		return n, fmt.Sprintf("%d is out of range %d-%d", n, minHistoryDays, maxHistoryDays)
	}
	return n, ""
}

// LogRetentionNever is the LogRetentionDays of logs that never expire.
const LogRetentionNever = 0

// logRetentionDays decodes the retention: a number of days CloudWatch Logs
// offers, or never.
func (d *decoder) logRetentionDays(v value) setting[int] {
	if n, ok := v.node.(*ast.StringNode); ok && n.Value == "never" {
		return setting[int]{value: LogRetentionNever, line: v.line, ok: true}
	}
	if _, ok := v.node.(*ast.StringNode); ok {
		d.add(v.line, v.field, "expected a number of days or never, got %q", v.node.(*ast.StringNode).Value)
		return setting[int]{line: v.line}
	}
	return check(d, v, d.integer(v), logRetention)
}

// logRetention accepts a retention CloudWatch Logs offers, naming the
// nearest ones otherwise.
func logRetention(n int) (int, string) {
	i, found := slices.BinarySearch(logRetentionValues, n)
	switch {
	case found:
		return n, ""
	case i == 0:
		return n, fmt.Sprintf("%d is not a retention CloudWatch Logs offers; the nearest is %d", n, logRetentionValues[0])
	case i == len(logRetentionValues):
		return n, fmt.Sprintf("%d is not a retention CloudWatch Logs offers; the nearest is %d", n, logRetentionValues[i-1])
	}
	return n, fmt.Sprintf("%d is not a retention CloudWatch Logs offers; the nearest are %d and %d", n, logRetentionValues[i-1], logRetentionValues[i])
}

// secretARN accepts the complete ARN of a secret. IAM can grant access to
// a secret without wildcards only by its complete ARN, random suffix
// included.
func secretARN(s string) (string, string) {
	const how = "aws secretsmanager describe-secret --secret-id %s --query ARN"
	switch {
	case secretARNRE.MatchString(s):
		return s, ""
	case partialSecretARNRE.MatchString(s):
		name := partialSecretARNRE.FindStringSubmatch(s)[4]
		return s, fmt.Sprintf("the ARN lacks the 6-character suffix Secrets Manager adds to the name; IAM needs the complete ARN to grant access without wildcards; get it with "+how, name)
	case !strings.HasPrefix(s, "arn:"):
		return s, fmt.Sprintf("%q is a secret name, not its ARN; IAM needs the complete ARN to grant access without wildcards; get it with "+how, s, s)
	}
	return s, fmt.Sprintf("%q is not a Secrets Manager secret ARN, such as arn:aws:secretsmanager:eu-west-1:123456789012:secret:qlik/prod-AbCdEf; get it with "+how, s, "NAME")
}

// kmsKeyARN accepts the ARN of a key, not of an alias: key policies and
// grants name the key itself.
func kmsKeyARN(s string) (string, string) {
	const how = "aws kms describe-key --key-id %s --query KeyMetadata.Arn"
	switch {
	case kmsKeyARNRE.MatchString(s):
		return s, ""
	case kmsAliasRE.MatchString(s):
		alias := kmsAliasRE.FindStringSubmatch(s)[2]
		return s, fmt.Sprintf("an alias cannot be used, because IAM grants name the key itself; get the key's ARN with "+how, alias)
	case !strings.HasPrefix(s, "arn:"):
		return s, fmt.Sprintf("%q is not a key ARN; give the full ARN, which you can get with "+how, s, s)
	}
	return s, fmt.Sprintf("%q is not a KMS key ARN, such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", s)
}

// rowName accepts a row name; construct IDs and schedule names derive from
// it.
func rowName(s string) (string, string) {
	if n := utf8.RuneCountInString(s); n > maxRowNameLength {
		return s, fmt.Sprintf("the name is %d characters; the limit is %d", n, maxRowNameLength)
	}
	if !rowNameRE.MatchString(s) {
		suggestion := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(s), "-"), "-")
		hint := ""
		if rowNameRE.MatchString(suggestion) {
			hint = ", such as " + suggestion
		}
		return s, fmt.Sprintf("%q is not a valid name; use lowercase letters, digits and single hyphens%s", s, hint)
	}
	return s, ""
}

// appID accepts a Qlik app ID in lowercase, the way Qlik shows and
// compares it.
func appID(s string) (string, string) {
	switch {
	case guid.MatchString(s):
		return s, ""
	case guidAnyCase.MatchString(s):
		return s, "write the app ID in lowercase, as Qlik shows it: " + strings.ToLower(s)
	}
	return s, fmt.Sprintf("%q is not a Qlik app ID; copy the GUID from the app's address, such as 687ef393-f0ad-4c64-ac59-6db967126015", s)
}

func scheduleExpression(s string) (string, string) {
	expr, err := schedule.Parse(s)
	if err != nil {
		return s, err.Error()
	}
	if expr.NeverRuns() {
		return s, fmt.Sprintf("%s matches no date, so the schedule would never run; check that the day-of-month exists in the months and years it names", s)
	}
	return s, ""
}

// checkRows checks what involves several rows: unique names, and that no
// schedule stack holds more schedules than CloudFormation allows.
func (d *decoder) checkRows(raw *rawConfig, cfg *Config) {
	first := map[string]rawReload{}
	for _, r := range raw.reloads.value {
		if !r.name.ok {
			continue
		}
		if prev, dup := first[r.name.value]; dup {
			d.add(r.name.line, fmt.Sprintf("reloads[%d].name", r.index), "%q is already the name of reloads[%d] on line %d; names must be unique", r.name.value, prev.index, prev.name.line)
			continue
		}
		first[r.name.value] = r
	}
	if raw.scheduleStacks.line != 0 && !raw.scheduleStacks.ok {
		return
	}
	// Rows without a valid name are left out: their problems are reported
	// already, and their stack is unknown.
	rows := make([]Reload, 0, len(first))
	for i, r := range raw.reloads.value {
		if r.name.ok {
			rows = append(rows, cfg.Reloads[i])
		}
	}
	if problem := stackCapacity(cfg.Name, rows, cfg.ScheduleStacks); problem != "" {
		d.add(raw.reloads.line, "reloads", "%s", problem)
	}
}
