package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// BenchmarkSynth measures a whole synth of the real app, function build
// included, against the number of rows, beside the floor: the smallest Go
// CDK app (floorapp) run the same way. Both run as built binaries with the
// context the CDK CLI would pass, so the CLI's own start-up is left out of
// both. x-floor is the ratio to the floor; peak-RSS-MB is the largest
// resident set of any process of the synth (the Go app or the Node.js
// process of the jsii runtime, which the app waits for), the most of any
// run. Both run on the Node.js that make pins in .tools when it is
// installed (make tools), whatever node comes first in PATH: the floor is
// about twice as fast on Node.js 24 as on Node.js 20, the rows much less, so
// the ratio depends on it.
//
//	go test ./test -run XXX -bench Synth -benchtime 3x
func BenchmarkSynth(b *testing.B) {
	floorApp := buildBinary(b, "./test/floorapp")
	buildBinary(b, ".")
	if bin := filepath.Join(moduleRoot(b), ".tools", "node_modules", ".bin"); fileExists(filepath.Join(bin, "node")) {
		b.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	}

	var floor float64
	b.Run("floor", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(floorApp)
			cmd.Env = append(os.Environ(), "CDK_OUTDIR="+b.TempDir())
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("floor app: %v\n%s", err, out)
			}
		}
		floor = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})

	for _, rows := range []int{1, 100, 1000, 5000, 20000} {
		path := writeTable(b, rows)
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			var peakKB int64
			for b.Loop() {
				cmd := appCommand(b, moduleRoot(b), b.TempDir(), map[string]interface{}{"config": path})
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("synth of %d rows: %v\n%s", rows, err, out)
				}
				// Linux reports the largest resident set of the process and
				// of the children it waited for, in kilobytes.
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					peakKB = max(peakKB, ru.Maxrss)
				}
			}
			if floor > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/floor, "x-floor")
			}
			b.ReportMetric(float64(peakKB)/1024, "peak-RSS-MB")
		})
	}
}

// writeTable writes a valid table of n rows spread over office hours, with
// as many schedule stacks as the rows need, and returns its path.
func writeTable(b *testing.B, n int) string {
	b.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("report-%05d", i)
	}
	stacks := 1
	for !fits(n, stacks) {
		stacks++
	}
	var s strings.Builder
	fmt.Fprintf(&s, "tenantUrl: https://acme.eu.qlikcloud.com\ntimezone: Europe/Stockholm\nscheduleStacks: %d\nreloads:\n", stacks)
	for i, name := range names {
		fmt.Fprintf(&s, "  - name: %s\n    appId: 687ef393-f0ad-4c64-ac59-6db967126015\n    schedule: cron(%d %d ? * MON-FRI *)\n", name, i%60, 6+i/60%12)
	}
	path := filepath.Join(b.TempDir(), fmt.Sprintf("bench%d.yaml", n))
	if err := os.WriteFile(path, []byte(s.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// fits reports whether no stack gets more of the benchmark's n rows than it
// may hold.
func fits(n, stacks int) bool {
	rows := make([]config.Reload, n)
	for i := range rows {
		rows[i] = config.Reload{Name: fmt.Sprintf("report-%05d", i), AppID: "687ef393-f0ad-4c64-ac59-6db967126015",
			Schedule: fmt.Sprintf("cron(%d %d ? * MON-FRI *)", i%60, 6+i/60%12), Timezone: "Europe/Stockholm"}
	}
	for _, l := range config.StackLoads("bench", rows, stacks) {
		if l.Fullness() > 1 {
			return false
		}
	}
	return true
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
