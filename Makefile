# qlik-reload-triggers: run `make help` for the targets.
#
# Everything runs with the pinned tools: the CDK CLI and Node.js 24 from
# .tools/package-lock.json (installed on first use), Go modules from go.sum,
# and staticcheck from go.mod's tool line. Nothing is installed globally.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The CDK CLI and the jsii runtime behind the Go bindings both run on the
# first node in PATH: put the pinned Node 24 there.
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(PATH)

ENV ?=
CONFIG ?=
ifneq ($(CONFIG),)
  CONFIG_FILE := $(CONFIG)
  CONTEXT := -c config=$(CONFIG)
else ifneq ($(ENV),)
  CONFIG_FILE := config/$(ENV).yaml
  CONTEXT := -c env=$(ENV)
else
  CONFIG_FILE := config/example.yaml
  CONTEXT :=
endif
OUT ?= cdk.out
ENVIRONMENTS := $(basename $(notdir $(wildcard config/*.yaml)))

comma := ,
space := $(empty) $(empty)

CDK := cdk --no-notices

# make reports a failed recipe with a line of its own ("make: *** [...]
# Error 1") after whatever the recipe printed. A recipe that has already
# said what is wrong and how to fix it ends make the way Ctrl-C does instead,
# which make does not comment on: it exits with status 130.
STOP := { kill -INT $$PPID; exit 0; }

# The lines the go tool and the CDK CLI add to the app's own report of a bad
# table ("exit status 1", "go run .: Subprocess exited with error 1"), and
# what --quiet still prints ("Bundling asset ...", "Successfully synthesized
# to ...", "Supply a stack id ... to display its template"): they say nothing
# the summary does not.
SYNTH_NOISE := -e '^exit status [0-9]+$$' -e '^go run \.: Subprocess exited with error [0-9]+$$' \
  -e '^Bundling asset ' -e '^Successfully synthesized to ' -e '^Supply a stack id '

# check-config stops before synth when ENV= names a file (ENV=prod.yaml) or
# an environment that does not exist, naming the environments there are.
define check-config
if [[ "$(ENV)" == *.yaml || "$(ENV)" == *.yml ]]; then \
  echo "ENV=$(ENV) names the file; give the environment's name: ENV=$(basename $(ENV))" >&2; $(STOP); \
fi; \
if [ ! -f "$(CONFIG_FILE)" ]; then \
  echo "$(CONFIG_FILE) does not exist; the environments in config/ are $(subst $(space),$(comma) ,$(ENVIRONMENTS)) (ENV=NAME). To add one, copy config/example.yaml (see the README, Adding an environment)." >&2; $(STOP); \
fi
endef
TOOLS := .tools/node_modules/.installed
# Test-only tools, kept apart so that `make synth` never needs them: a
# DynamoDB-compatible server (dynalite) for the ledger's tests, and cfn-guard
# with AWS Control Tower's proactive-control rules. The validator's peer
# dependency (aws-cdk-lib, 161 MB) is not needed to run its binary.
TEST_TOOLS := .tools/test/node_modules/.installed

# Pure-Go packages run under the race detector. The packages whose tests
# import the CDK each link a large binary and start a jsii runtime, so they
# run without it; between them the two lists cover every package.
PURE_PACKAGES := ./internal/... ./lambda/... ./cmd/...
CDK_PACKAGES := . ./stacks/... ./test/...

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "  Choose the environment with ENV=NAME (config/NAME.yaml) or CONFIG=PATH; the default is config/example.yaml."
	@echo "  The environments in config/: $(subst $(space),$(comma) ,$(ENVIRONMENTS))."

$(TOOLS): .tools/package.json .tools/package-lock.json
	npm ci --prefix .tools --no-audit --no-fund --loglevel=error
	@touch $@

$(TEST_TOOLS): .tools/test/package.json .tools/test/package-lock.json
	npm ci --prefix .tools/test --legacy-peer-deps --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: test-tools
test-tools: $(TEST_TOOLS) ## Install the pinned test-only tools (dynalite, cfn-guard).

.PHONY: tools
tools: $(TOOLS) ## Install the pinned CDK CLI and Node.js, and download the Go modules.
	@go mod download

.PHONY: synth
synth: tools ## Synthesize one environment into cdk.out and print its summary.
	@$(check-config)
	@rm -rf $(OUT)
	@echo "Synthesizing $(CONFIG_FILE) into $(OUT)"
	@$(CDK) synth --quiet $(CONTEXT) --output $(OUT) 2>&1 | { grep -E -v --line-buffered $(SYNTH_NOISE) >&2 || true; } || $(STOP)
	@go run ./cmd/assembly summary -config $(CONFIG_FILE) -dir $(OUT) 2>&1 | { grep -E -v $(SYNTH_NOISE) || true; } || $(STOP)

.PHONY: synth-all
synth-all: tools ## Synthesize every environment in config/ into out/NAME.
	@for env in $(ENVIRONMENTS); do \
	  echo "== $$env"; \
	  $(MAKE) --no-print-directory synth ENV=$$env OUT=out/$$env || $(STOP); \
	done

.PHONY: test
test: tools test-tools ## Run the whole test suite.
	go test -race $(PURE_PACKAGES)
	go test $(CDK_PACKAGES)

.PHONY: golden
golden: tools ## Rewrite the golden templates of ENV (every environment without ENV) for review; needed for a new environment.
	go test ./test -run 'GoldenTemplates$(if $(ENV),/^$(ENV)$$)' -update -count=1
	@git status --short test/testdata/golden

.PHONY: lint
lint: ## Check formatting, go vet and staticcheck.
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...

# The targets that talk to AWS first check, in one line, that there are
# credentials, and say how to provide them: before a synth, not after it.
# The check is built, not run with go run, which would add a line of its own.
AWS_ACCESS := .tools/bin/awsaccess
AWS_COMMAND = make $@$(if $(ENV), ENV=$(ENV))$(if $(CONFIG), CONFIG=$(CONFIG))
define check-aws
	@go build -o $(AWS_ACCESS) ./cmd/awsaccess
	@$(AWS_ACCESS) -for "$(AWS_COMMAND)" || $(STOP)
endef

.PHONY: diff
diff: tools ## Diff one environment against its deployed stacks (needs AWS credentials).
	$(check-aws)
	$(CDK) diff $(CONTEXT)

.PHONY: diff-local
diff-local: synth ## Diff one environment against its golden templates, offline; fails on any difference.
	@rm -rf $(OUT).masked
	@go run ./cmd/assembly mask -dir $(OUT) -out $(OUT).masked
	@golden=test/testdata/golden/$(basename $(notdir $(CONFIG_FILE))); \
	for template in $(OUT).masked/*.template.json; do \
	  stack=$$(basename $$template .template.json); \
	  if [ ! -f $$golden/$$stack.template.json ]; then echo "$$stack: no golden template in $$golden; create it with make golden ENV=$(basename $(notdir $(CONFIG_FILE)))"; exit 1; fi; \
	  $(CDK) diff --app $(OUT).masked --template $$golden/$$stack.template.json --fail $$stack; \
	done

.PHONY: bootstrap
bootstrap: tools ## Prepare the environment's AWS account and region for CDK deployments, once (needs AWS credentials).
	$(check-aws)
	$(CDK) bootstrap $(CONTEXT)

.PHONY: deploy
deploy: tools ## Deploy one environment from the synthesized cdk.out (needs AWS credentials and a bootstrapped account).
	$(check-aws)
	@$(MAKE) --no-print-directory synth
	@go run ./cmd/assembly check -dir $(OUT)
	$(CDK) deploy --app $(OUT) --all --require-approval broadening --concurrency 4

.PHONY: destroy
destroy: tools ## Delete one environment's stacks, after asking (needs AWS credentials; keeps the secret and the log group).
	$(check-aws)
	$(CDK) destroy --all $(CONTEXT)

# make history: the runs of one environment from its ledger, newest first.
ROW ?=
FAILED ?=
SINCE ?= 24h
HISTORY_ARGS := -config $(CONFIG_FILE) -since $(SINCE)$(if $(ROW), -row $(ROW))$(if $(FAILED), -failed)

.PHONY: history
history: ## Print the environment's runs, newest first (ROW=name, FAILED=1, SINCE=24h; needs AWS credentials).
	@go build -o .tools/bin/history ./cmd/history
	@.tools/bin/history $(HISTORY_ARGS) || $(STOP)

.PHONY: clean
clean: ## Remove build outputs.
	rm -rf cdk.out cdk.out.masked out bootstrap .tools/bin
