# infra.mk: make targets for the CDK stack in infra/. The root Makefile
# includes it (include infra/infra.mk), so paths are relative to the repo
# root; INFRA_DIR is taken from this file's own path to be sure.
#
#   make synth                          template + cdk-nag, offline, no AWS credentials
#   make diff    [PROFILE=name] [STAGE=dev] [ALARM_TOPIC=arn] [PATTERN_INDEXES=n]
#   make deploy  [PROFILE=name] [STAGE=dev] [ALARM_TOPIC=arn] [PATTERN_INDEXES=n]
#   make destroy [PROFILE=name] [STAGE=dev]
#   make cdk-bootstrap [PROFILE=name]   once per account and region
#   make infra-test                     go vet + go test of the infra module
#
# STAGE defaults to prod (table and secret retained, deletion protection on);
# STAGE=dev makes them deletable with the stack. ALARM_TOPIC=arn:aws:sns:...
# makes the stack's CloudWatch alarms notify that SNS topic (same region);
# without it they have no actions. PATTERN_INDEXES=n gives the table only
# its first n pattern indexes (default all): CloudFormation adds one global
# secondary index per table update, so a table deployed without them is
# upgraded with n=1, 2, ... one deploy each. CDK_ARGS passes anything else
# to the CLI, e.g. CDK_ARGS='--require-approval never' in CI.

INFRA_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

PROFILE ?=
STAGE ?=
ALARM_TOPIC ?=
PATTERN_INDEXES ?=
CDK_ARGS ?=

# The CLI is the exact version pinned in infra/package-lock.json, never a
# global one. The version check, notices and CLI telemetry would each call
# out to the network; synth must work offline.
CDK = cd $(INFRA_DIR) && CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true npx --no-install cdk
CDK_OPTS = --no-notices $(if $(PROFILE),--profile $(PROFILE)) $(if $(STAGE),-c stage=$(STAGE)) \
	$(if $(ALARM_TOPIC),-c alarmTopic=$(ALARM_TOPIC)) \
	$(if $(PATTERN_INDEXES),-c patternIndexes=$(PATTERN_INDEXES)) $(CDK_ARGS)

# npm ci runs again only when the lock file (or package.json) changed.
INFRA_DEPS_STAMP := $(INFRA_DIR)/node_modules/.installed

.PHONY: infra-deps synth diff deploy destroy cdk-bootstrap infra-test

infra-deps: $(INFRA_DEPS_STAMP)

$(INFRA_DEPS_STAMP): $(INFRA_DIR)/package-lock.json $(INFRA_DIR)/package.json
	cd $(INFRA_DIR) && npm ci --no-audit --no-fund
	touch $@

# Every CDK command runs the app, and the app packages dist/lambda and
# dist/events, so each one builds the linux/arm64 binaries first (build is
# the root Makefile's).
synth: build infra-deps
	$(CDK) synth $(CDK_OPTS)

diff: build infra-deps
	$(CDK) diff $(CDK_OPTS)

deploy: build infra-deps
	$(CDK) deploy $(CDK_OPTS) --outputs-file cdk-outputs.json

destroy: build infra-deps
	$(CDK) destroy $(CDK_OPTS)

cdk-bootstrap: build infra-deps
	$(CDK) bootstrap $(CDK_OPTS)

# Needs node on PATH (jsii runs the CDK in node), not node_modules.
infra-test:
	cd $(INFRA_DIR) && go vet ./... && go test ./...
