package assembly

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FunctionBootstrap is the bootstrap executable of one Lambda function on a
// provided runtime (provided.al2023), as it lies in the assembly's asset
// directory that the CDK CLI zips on deploy.
type FunctionBootstrap struct {
	// Stack is the name of the stack that declares the function.
	Stack string
	// Function is the function's logical ID in the stack's template.
	Function string
	// Path is the bootstrap's path within the assembly directory.
	Path string
	// Mode is the bootstrap's file mode.
	Mode fs.FileMode
}

// NotExecutableError reports a function whose bootstrap is missing or not
// executable by every user. Lambda runs the bootstrap as a user that does not
// own the file, and the CDK CLI zips each file with the mode it has on disk,
// so such an assembly deploys a function that fails at init.
type NotExecutableError struct {
	FunctionBootstrap
	// Missing is set when the asset holds no bootstrap at all.
	Missing bool
}

func (e *NotExecutableError) Error() string {
	if e.Missing {
		return fmt.Sprintf("stack %s, function %s: %s does not exist; the function's asset was not built (synthesize again without skipping bundling)",
			e.Stack, e.Function, e.Path)
	}
	return fmt.Sprintf("stack %s, function %s: %s has mode %04o and Lambda cannot start it; the assembly lost its file modes on a copy (carry it in a tar archive, or synthesize again)",
		e.Stack, e.Function, e.Path, e.Mode.Perm())
}

// Executable is the permission every user needs on a bootstrap: Lambda runs
// it as a user that neither owns the file nor shares its group.
const Executable fs.FileMode = 0o555

// FunctionBootstraps finds the bootstrap of every function on a provided
// runtime in the assembly in dir and checks that each is a regular file
// that every user may read and execute. It returns the bootstraps found,
// and an error that joins one *NotExecutableError per function that fails
// the check, or says why the assembly could not be read.
func FunctionBootstraps(dir string) ([]FunctionBootstrap, error) {
	a, err := Load(dir)
	if err != nil {
		return nil, err
	}
	assets, err := zipAssets(dir)
	if err != nil {
		return nil, err
	}
	var found []FunctionBootstrap
	var problems []error
	for _, s := range a.Stacks {
		fns, err := s.providedFunctions()
		if err != nil {
			return nil, err
		}
		for _, fn := range fns {
			source, ok := assets[fn.objectKey]
			if !ok {
				return nil, fmt.Errorf("stack %s, function %s: its code %s is not an asset of the assembly in %s, so its bootstrap cannot be checked", s.Name, fn.id, fn.objectKey, dir)
			}
			b := FunctionBootstrap{Stack: s.Name, Function: fn.id, Path: filepath.Join(source, "bootstrap")}
			info, err := os.Stat(filepath.Join(dir, b.Path))
			switch {
			case errors.Is(err, fs.ErrNotExist):
				problems = append(problems, &NotExecutableError{FunctionBootstrap: b, Missing: true})
				continue
			case err != nil:
				return nil, fmt.Errorf("stack %s, function %s: %w", s.Name, fn.id, err)
			}
			b.Mode = info.Mode()
			found = append(found, b)
			if !b.Mode.IsRegular() || b.Mode.Perm()&Executable != Executable {
				problems = append(problems, &NotExecutableError{FunctionBootstrap: b})
			}
		}
	}
	return found, errors.Join(problems...)
}

// providedFunction is a Lambda function of a template whose runtime runs a
// bootstrap executable, with the S3 key of its code.
type providedFunction struct {
	id        string
	objectKey string
}

// providedFunctions lists the template's functions on a provided runtime,
// ordered by logical ID.
func (s Stack) providedFunctions() ([]providedFunction, error) {
	var t struct {
		Resources map[string]struct {
			Type       string `json:"Type"`
			Properties struct {
				Runtime string `json:"Runtime"`
				Code    struct {
					S3Key json.RawMessage `json:"S3Key"`
				} `json:"Code"`
			} `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(s.Template, &t); err != nil {
		return nil, fmt.Errorf("read template of stack %s: %w", s.Name, err)
	}
	var fns []providedFunction
	for id, r := range t.Resources {
		if r.Type != "AWS::Lambda::Function" || !strings.HasPrefix(r.Properties.Runtime, "provided") {
			continue
		}
		var key string
		if err := json.Unmarshal(r.Properties.Code.S3Key, &key); err != nil || key == "" {
			return nil, fmt.Errorf("stack %s, function %s: its code has no literal S3Key, so its bootstrap cannot be checked", s.Name, id)
		}
		fns = append(fns, providedFunction{id: id, objectKey: key})
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].id < fns[j].id })
	return fns, nil
}

// zipAssets maps the S3 object key of every file asset that the CDK CLI
// zips from a directory to that directory, relative to the assembly.
func zipAssets(dir string) (map[string]string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("read cloud assembly: %w", err)
	}
	var m struct {
		Artifacts map[string]struct {
			Type       string `json:"type"`
			Properties struct {
				File string `json:"file"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	keys := make(map[string]string)
	for _, art := range m.Artifacts {
		if art.Type != "cdk:asset-manifest" {
			continue
		}
		path := filepath.Join(dir, art.Properties.File)
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read asset manifest: %w", err)
		}
		var am struct {
			Files map[string]struct {
				Source struct {
					Path      string `json:"path"`
					Packaging string `json:"packaging"`
				} `json:"source"`
				Destinations map[string]struct {
					ObjectKey string `json:"objectKey"`
				} `json:"destinations"`
			} `json:"files"`
		}
		if err := json.Unmarshal(raw, &am); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		for _, f := range am.Files {
			if f.Source.Packaging != "zip" {
				continue
			}
			for _, d := range f.Destinations {
				keys[d.ObjectKey] = f.Source.Path
			}
		}
	}
	return keys, nil
}
