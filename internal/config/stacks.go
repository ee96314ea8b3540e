package config

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
)

// The capacity of one schedule stack. A stack is full when either limit is
// reached.
const (
	// MaxSchedulesPerStack is the most schedules one stack may hold.
	// CloudFormation allows 500 resources per stack; the rest is left for
	// the core stack's own resources and for headroom.
	MaxSchedulesPerStack = 450
	// MaxScheduleBytesPerStack is the most template bytes the schedules of
	// one stack may take, as ScheduleBytes counts them. CloudFormation
	// refuses a template above 1 MB, and the CDK warns above 800,000
	// characters; this leaves the core stack's own resources (under 30 KB)
	// and a margin under the warning.
	MaxScheduleBytesPerStack = 740_000
)

// maxScheduleStacks bounds scheduleStacks: 100 stacks of 450 hold 45,000
// schedules, far more than one tenant's reloads.
const maxScheduleStacks = 100

// roomyFullness is the share of a stack's capacity above which the synth
// summary warns and below which a suggested stack count leaves room to
// grow.
const roomyFullness = 0.8

// scheduleBaseBytes bounds what a schedule resource takes in a template as
// the CDK writes it (indented by one space per level), apart from the parts
// ScheduleBytes adds per row: the keys, the retry policy, the flexible
// window and the four values of the target, which are the longest in a
// schedule stack (Fn::GetStackOutput reads of the core stack's outputs).
// A test renders rows at the field limits and keeps this an upper bound;
// it leaves about 200 bytes for targets that render longer.
const scheduleBaseBytes = 1300

// ScheduleBytes returns an upper bound on the bytes the row's schedule adds
// to a template of the given environment. The row's text is counted as Go's
// JSON encoder writes it, which escapes at least as much as the CDK's.
func (r Reload) ScheduleBytes(environment string) int {
	n := scheduleBaseBytes
	// The name appears in the logical ID and in the construct path of the
	// resource's metadata, which also holds the stack name.
	n += 2*len(r.Name) + len(environment)
	for _, s := range []string{r.Description, r.Input(), r.Schedule, r.Timezone} {
		n += jsonLength(s)
	}
	return n
}

// jsonLength is the length of s written as a JSON string, quotes included.
func jsonLength(s string) int {
	// Marshalling a string cannot fail.
	b, _ := json.Marshal(s)
	return len(b)
}

// StackIndex returns the schedule stack, from 0 to stacks-1, that holds the
// row with this name: jump consistent hashing (Lamping and Veach, "A Fast,
// Minimal Memory, Consistent Hash Algorithm", 2014) of the 64-bit FNV-1a
// hash of the name's bytes. It depends on nothing but the name, so adding,
// removing or reordering rows never moves another row; and going from N to
// N+1 stacks moves only the rows the new stack takes, about 1/(N+1) of
// them, where a hash modulo N would move about N/(N+1).
//
// It must never change: it decides which stack holds each schedule, and a
// different answer would move schedules between stacks, deleting and
// recreating them on the next deployment. A stacks below 1 is treated as 1.
func StackIndex(name string, stacks int) int {
	if stacks < 1 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name)) // A hash.Hash never returns an error.
	return jump(h.Sum64(), stacks)
}

// jump is Lamping and Veach's jump consistent hash: the bucket, from 0 to
// buckets-1, of key. Growing buckets by one moves a key only into the new
// bucket, and each key with probability 1/buckets.
func jump(key uint64, buckets int) int {
	b, j := int64(-1), int64(0)
	for j < int64(buckets) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}

// StackLoad is what the rows put in one schedule stack.
type StackLoad struct {
	// Index is the stack's index, as StackIndex numbers it.
	Index int
	// Schedules is how many schedules the stack holds; stack 0, the core
	// stack, also counts the event rules of the rows with on.
	Schedules int
	// Bytes is the template bytes they take, as ScheduleBytes counts them.
	Bytes int
}

// Fullness returns the share of the stack's capacity in use: the larger of
// its schedules against MaxSchedulesPerStack and its bytes against
// MaxScheduleBytesPerStack. Above 1 the stack does not fit.
func (l StackLoad) Fullness() float64 {
	return max(float64(l.Schedules)/MaxSchedulesPerStack, float64(l.Bytes)/MaxScheduleBytesPerStack)
}

// fits reports whether the stack is within its capacity.
func (l StackLoad) fits() bool {
	return l.Schedules <= MaxSchedulesPerStack && l.Bytes <= MaxScheduleBytesPerStack
}

// StackLoads returns the load of each of stacks schedule stacks when the
// rows of environment are spread over them, in index order.
func StackLoads(environment string, rows []Reload, stacks int) []StackLoad {
	return spread(sizeRows(environment, rows), max(stacks, 1))
}

// RoomyStackCount returns the fewest schedule stacks that keep every stack
// at or below 80% of its capacity, or 0 when even the most stacks allowed do
// not.
func RoomyStackCount(environment string, rows []Reload) int {
	return smallestStackCount(sizeRows(environment, rows), roomyFullness)
}

// MovedRows returns how many of the rows change stack when scheduleStacks
// goes from one count to another: about 1/(N+1) of them from N to N+1.
func MovedRows(rows []Reload, from, to int) int {
	moved := 0
	for _, r := range rows {
		// Only schedules live in schedule stacks.
		if r.Schedule == "" {
			continue
		}
		if StackIndex(r.Name, from) != StackIndex(r.Name, to) {
			moved++
		}
	}
	return moved
}

// sizedRow is a row's name and the bytes of its schedule, or of its event
// rule for a row with on (inCore).
type sizedRow struct {
	name   string
	bytes  int
	inCore bool
}

// eventRuleExtraBytes bounds what an event rule takes in a template beyond
// a schedule's parts: its pattern is counted apart, and its ARN is named
// in the two queue policies.
const eventRuleExtraBytes = 600

// sizeRows sizes what each row puts in a stack: a schedule in the stack
// its name picks, or an event rule in the core stack, stack 0, beside the
// start queue whose policy names it. A chain's row puts nothing in a
// stack.
func sizeRows(environment string, rows []Reload) []sizedRow {
	sized := make([]sizedRow, 0, len(rows))
	for _, r := range rows {
		switch {
		case len(r.After) > 0:
		case r.On != nil:
			n := r.ScheduleBytes(environment) + jsonLength(r.On.EventPattern) + eventRuleExtraBytes
			sized = append(sized, sizedRow{name: r.Name, bytes: n, inCore: true})
		default:
			sized = append(sized, sizedRow{name: r.Name, bytes: r.ScheduleBytes(environment)})
		}
	}
	return sized
}

// inCore counts the rows whose event rules the core stack holds.
func inCore(rows []sizedRow) int {
	n := 0
	for _, r := range rows {
		if r.inCore {
			n++
		}
	}
	return n
}

func spread(rows []sizedRow, stacks int) []StackLoad {
	loads := make([]StackLoad, stacks)
	for i := range loads {
		loads[i].Index = i
	}
	for _, r := range rows {
		i := 0
		if !r.inCore {
			i = StackIndex(r.name, stacks)
		}
		l := &loads[i]
		l.Schedules++
		l.Bytes += r.bytes
	}
	return loads
}

// smallestStackCount returns the fewest stacks that keep every stack at or
// below limit of its capacity (1 is full), or 0 when even
// maxScheduleStacks do not.
func smallestStackCount(rows []sizedRow, limit float64) int {
	for n := 1; n <= maxScheduleStacks; n++ {
		ok := true
		for _, l := range spread(rows, n) {
			if !l.fits() || l.Fullness() > limit {
				ok = false
				break
			}
		}
		if ok {
			return n
		}
	}
	return 0
}

// stackCapacity returns a problem message when spreading the rows over
// stacks schedule stacks would put more in one than it can hold, by count
// or by template size, and "" otherwise.
func stackCapacity(environment string, rows []Reload, stacks int) string {
	sized := sizeRows(environment, rows)
	var over *StackLoad
	loads := spread(sized, stacks)
	for i := range loads {
		if !loads[i].fits() && (over == nil || loads[i].Fullness() > over.Fullness()) {
			over = &loads[i]
		}
	}
	if over == nil {
		return ""
	}
	where := "the one stack"
	if stacks > 1 {
		// Stacks are numbered as StackIndex numbers them; 0 is the main
		// stack.
		where = fmt.Sprintf("stack %d of stacks 0-%d", over.Index, stacks-1)
	}
	what := "schedules"
	if events := inCore(sized); over.Index == 0 && events > 0 {
		what = fmt.Sprintf("schedules and event rules (%d rows with on)", events)
	}
	var msg string
	if over.Schedules > MaxSchedulesPerStack {
		msg = fmt.Sprintf("%d rows would put %d %s in %s, more than the %d a stack can hold", len(rows), over.Schedules, what, where, MaxSchedulesPerStack)
	} else {
		msg = fmt.Sprintf("%d rows would put %d KB of schedules (%d rows with their descriptions and variables) in %s, more than the %d KB a stack's template can hold under CloudFormation's 1 MB limit",
			len(rows), over.Bytes/1000, over.Schedules, where, MaxScheduleBytesPerStack/1000)
	}
	fits, roomy := smallestStackCount(sized, 1), smallestStackCount(sized, roomyFullness)
	switch {
	case fits == 0:
		return msg + fmt.Sprintf("; even %d stacks are not enough, so split the table into several environments", maxScheduleStacks)
	case roomy == fits:
		return msg + fmt.Sprintf("; set scheduleStacks: %d or more, which also leaves about 20%% room to grow; changing scheduleStacks moves rows between stacks", fits)
	case roomy == 0:
		return msg + fmt.Sprintf("; set scheduleStacks: %d or more; changing scheduleStacks moves rows between stacks", fits)
	}
	return msg + fmt.Sprintf("; set scheduleStacks: %d or more (%d leaves about 20%% room to grow); changing scheduleStacks moves rows between stacks", fits, roomy)
}
