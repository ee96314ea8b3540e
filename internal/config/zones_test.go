package config

import (
	"archive/zip"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var updateZoneList = flag.Bool("update", false, "rewrite zones.txt from the Go release's zone database")

// TestZoneList keeps zones.txt equal to the zone names of the Go release
// that runs the tests, which is the one that builds the app.
func TestZoneList(t *testing.T) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	zr, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Skipf("the Go release has no zone database to compare with: %v", err)
	}
	defer zr.Close()
	var want []string
	for _, f := range zr.File {
		want = append(want, f.Name)
	}
	slices.Sort(want)
	if *updateZoneList {
		if err := os.WriteFile("zones.txt", []byte(strings.Join(want, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(zoneNames(), want); diff != "" {
		t.Errorf("zones.txt (-listed +in the Go release); refresh it with go test ./internal/config -run ZoneList -update:\n%s", diff)
	}
	for _, name := range zoneNames() {
		if _, err := time.LoadLocation(name); err != nil {
			t.Errorf("zones.txt lists %s, which does not load: %v", name, err)
		}
	}
}

func TestNearestZone(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Europe/Stokholm", "Europe/Stockholm"},
		{"America/Chicgo", "America/Chicago"},
		{"Stockholm", "Europe/Stockholm"},
		{"new york", "America/New_York"},
		{"Mars/Olympus_Mons", ""},
		{"CET+1", ""},
	}
	for _, tt := range tests {
		if got := nearestZone(tt.name, zoneNames()); got != tt.want {
			t.Errorf("nearestZone(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
