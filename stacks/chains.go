package stacks

import (
	"fmt"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/chain"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// chainFiles returns the files bundled with the function for the table's
// chains: chain.FileName with every enabled row with after, its upstreams
// and its start-queue message. It returns nil when there is no chain, so
// that an environment without chains deploys the same code as before.
func chainFiles(cfg *config.Config) (map[string][]byte, error) {
	var rows []chain.Row
	for _, r := range cfg.Reloads {
		// A disabled row never starts; its upstreams' alerts do not name
		// it as held back either.
		if len(r.After) == 0 || !r.Enabled {
			continue
		}
		rows = append(rows, chain.Row{Name: r.Name, After: r.After, Message: r.Input()})
	}
	if len(rows) == 0 {
		return nil, nil
	}
	g, err := chain.New(rows)
	if err != nil {
		return nil, fmt.Errorf("the chains of %s: %w", cfg.Path, err)
	}
	return map[string][]byte{chain.FileName: g.Marshal()}, nil
}
