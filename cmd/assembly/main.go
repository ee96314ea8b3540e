// Command assembly works on a synthesized cloud assembly for the Makefile:
//
//	assembly summary -config config/example.yaml -dir cdk.out
//	    prints what was synthesized: stacks, schedules, each row's next run.
//	assembly mask -dir cdk.out -out cdk.out.masked
//	    copies the assembly's manifest and templates with asset hashes
//	    masked, for `cdk diff --template` against the golden templates.
//	assembly check -dir out/prod
//	    refuses an assembly that would deploy a function Lambda cannot
//	    start: every provided-runtime function's bootstrap must be
//	    executable. CI runs it before every deploy.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/summary"
)

const usage = `usage:
  assembly summary -config FILE -dir DIR
  assembly mask -dir DIR -out DIR
  assembly check -dir DIR`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "assembly:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no command\n%s", usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	dir := fs.String("dir", "cdk.out", "the cloud assembly `directory`")
	switch args[0] {
	case "summary":
		cfgPath := fs.String("config", "config/example.yaml", "the config `file` that was synthesized")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		cfg, err := config.LoadFile(*cfgPath)
		if err != nil {
			return err
		}
		asm, err := assembly.Load(*dir)
		if err != nil {
			return err
		}
		return summary.Write(os.Stdout, cfg, asm, time.Now())
	case "mask":
		out := fs.String("out", "", "the `directory` to write the masked copy to")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *out == "" {
			return fmt.Errorf("mask needs -out\n%s", usage)
		}
		return mask(*dir, *out)
	case "check":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return check(*dir)
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
}

// check prints the function bootstraps of the assembly in dir, and fails
// when one is missing or not executable.
func check(dir string) error {
	found, err := assembly.FunctionBootstraps(dir)
	if err != nil {
		return fmt.Errorf("%s cannot be deployed: %w", dir, err)
	}
	for _, b := range found {
		fmt.Printf("%s: stack %s, function %s: %s is executable (%04o)\n", dir, b.Stack, b.Function, b.Path, b.Mode.Perm())
	}
	return nil
}

// mask copies the files at the top of the assembly (the manifest, the
// templates and their metadata; not the bundled assets, which a template
// diff does not read) and masks the asset hashes in the templates.
func mask(dir, out string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read cloud assembly: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		if strings.HasSuffix(e.Name(), ".template.json") {
			raw = assembly.Mask(raw)
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), raw, 0o644); err != nil {
			return err
		}
	}
	return nil
}
