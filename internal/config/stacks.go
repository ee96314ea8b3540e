package config

import (
	"fmt"
	"hash/fnv"
)

// MaxSchedulesPerStack is the most schedules one schedule stack may hold.
// CloudFormation allows 500 resources per stack; the rest is left for the
// stack's own resources and for headroom.
const MaxSchedulesPerStack = 450

// maxScheduleStacks bounds scheduleStacks: 100 stacks of 450 hold 45,000
// schedules, far more than one tenant's reloads.
const maxScheduleStacks = 100

// StackIndex returns the schedule stack, from 0 to stacks-1, that holds the
// row with this name: the 32-bit FNV-1a hash of the name's bytes, modulo
// stacks. It depends on nothing but the name, so adding, removing or
// reordering rows never moves another row.
//
// It must never change: it decides which stack holds each schedule, and a
// different answer would move schedules between stacks, deleting and
// recreating them on the next deployment. A stacks below 1 is treated as 1.
func StackIndex(name string, stacks int) int {
	if stacks < 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(name)) // A hash.Hash never returns an error.
	return int(h.Sum32() % uint32(stacks))
}

// stackCapacity returns a problem message when spreading the named rows
// over stacks schedule stacks would put more than MaxSchedulesPerStack in
// one, and "" otherwise. inCore is how many event rules the core stack,
// stack 0, holds besides its schedules: each takes a schedule's room.
func stackCapacity(names []string, stacks, inCore int) string {
	if len(names)+inCore <= MaxSchedulesPerStack {
		return ""
	}
	hashes := make([]uint32, len(names))
	for i, name := range names {
		h := fnv.New32a()
		h.Write([]byte(name))
		hashes[i] = h.Sum32()
	}
	// fullest returns the most loaded stack for n stacks and its count.
	fullest := func(n int) (int, int) {
		counts := make([]int, n)
		counts[0] = inCore
		best := 0
		for _, h := range hashes {
			i := int(h % uint32(n))
			counts[i]++
			if counts[i] > counts[best] || counts[i] == counts[best] && i < best {
				best = i
			}
		}
		return best, counts[best]
	}
	index, count := fullest(stacks)
	if count <= MaxSchedulesPerStack {
		return ""
	}
	// smallest returns the fewest stacks that hold at most limit schedules
	// each, or 0 when even maxScheduleStacks do not.
	smallest := func(limit int) int {
		for n := 1; n <= maxScheduleStacks; n++ {
			if _, c := fullest(n); c <= limit {
				return n
			}
		}
		return 0
	}
	where := "the one stack"
	if stacks > 1 {
		// Stacks are numbered as StackIndex numbers them; 0 is the main
		// stack.
		where = fmt.Sprintf("stack %d of stacks 0-%d", index, stacks-1)
	}
	what := "schedules"
	if inCore > 0 && index == 0 {
		what = fmt.Sprintf("schedules and event rules (%d rows with on)", inCore)
	}
	msg := fmt.Sprintf("%d rows would put %d %s in %s, more than the %d a stack can hold", len(names)+inCore, count, what, where, MaxSchedulesPerStack)
	fits, roomy := smallest(MaxSchedulesPerStack), smallest(MaxSchedulesPerStack*8/10)
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
