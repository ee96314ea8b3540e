package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/chain"
)

// Environment variables of the chains, set by the stacks on the watcher
// when the table has rows with after.
const (
	// envChainsFile names the chain graph's file, relative to the
	// function's code directory.
	envChainsFile = "QLIK_CHAINS_FILE"
	// envTaskRoot is where Lambda unpacks the function's code.
	envTaskRoot = "LAMBDA_TASK_ROOT"
)

// loadChains reads the chain graph the stacks bundled beside the binary,
// or returns nil when the table has no chains (QLIK_CHAINS_FILE unset). A
// variable that names a missing or broken file is an error: the chains
// would silently never start.
func loadChains(getenv func(string) string, readFile func(string) ([]byte, error)) (*chain.Graph, error) {
	name := getenv(envChainsFile)
	if name == "" {
		return nil, nil
	}
	if filepath.IsAbs(name) || !filepath.IsLocal(name) {
		return nil, fmt.Errorf("%s=%q: name a file of the function's code, such as %s", envChainsFile, name, chain.FileName)
	}
	root := getenv(envTaskRoot)
	if root == "" {
		return nil, fmt.Errorf("%s is not set, so %s cannot be found; it is set by Lambda", envTaskRoot, name)
	}
	data, err := readFile(filepath.Join(root, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s=%s, but the function's code has no such file; synthesize and deploy again: %w", envChainsFile, name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return chain.Parse(data)
}
