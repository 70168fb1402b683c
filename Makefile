# Cloud OS object-storage add-on. `make run` and `make test` are the two
# commands a newcomer needs; both install what is missing first.

SHELL := /bin/bash
GO    ?= go
TOOLS := $(CURDIR)/.tools/bin
BIN   := $(CURDIR)/bin

# Pinned external tools (see DESIGN.md, "Facts checked on this kind of machine").
MINIO_VERSION       := v0.0.0-20260212201848-7aac2a2c5b7c
MC_VERSION          := v0.0.0-20250313080218-cf909e1063a9
STATICCHECK_VERSION := v0.8.2

# Debian packages the tests drive (command:package).
SYSTEM_TOOLS := caddy:caddy chromium:chromium aws:awscli s3cmd:s3cmd rclone:rclone

export PATH := $(TOOLS):$(PATH)
export QUAZZAR_TOOLS_BIN := $(TOOLS)

TEST_TIMEOUT ?= 40m
RUN_STATE    ?= $(CURDIR)/.state

.PHONY: all build binaries bundle tools minio mc staticcheck system-tools test bench lint run clean

all: build

## build: the binaries (below) and the add-on's bundle.
build: binaries bundle

## binaries: the add-on, the development host and the test plugins into
## bin/, with each plugin's manifest stamped with its executable's SHA-256.
## Test plugins go to bin/testplugins, not bin/plugins, so that `make run`
## loads the add-on only (the backup agent would create a bucket and a key).
binaries:
	@mkdir -p $(BIN)/plugins/object-storage
	$(GO) build -o $(BIN)/plugins/object-storage/object-storage ./cmd/object-storage
	$(GO) build -o $(BIN)/cloudos-dev ./cmd/cloudos-dev
	$(GO) build -o $(BIN)/stamp-manifest ./cmd/stamp-manifest
	$(GO) build -o $(BIN)/bundle ./cmd/bundle
	$(BIN)/stamp-manifest -in plugin.json -exe $(BIN)/plugins/object-storage/object-storage -out $(BIN)/plugins/object-storage/plugin.json
	@for p in backup-agent hello-storage; do \
	  mkdir -p $(BIN)/testplugins/$$p && \
	  $(GO) build -o $(BIN)/testplugins/$$p/$$p ./testdata/plugins/$$p && \
	  $(BIN)/stamp-manifest -in testdata/plugins/$$p/plugin.json -exe $(BIN)/testplugins/$$p/$$p -out $(BIN)/testplugins/$$p/plugin.json || exit 1; \
	done

## bundle: the add-on's bundle, bin/bundles/object-storage-<version>.tar.gz
## (the version is plugin.json's): the stamped plugin.json and the
## executable at the archive's top level, what a host's install takes.
bundle: binaries
	$(BIN)/bundle -dir $(BIN)/plugins/object-storage -out-dir $(BIN)/bundles
	$(BIN)/bundle -dir $(BIN)/testplugins/hello-storage -out-dir $(BIN)/bundles

## tools: MinIO, mc and staticcheck at pinned versions into .tools/bin
## (skipped when present), and the Debian packages the tests use.
tools: minio mc system-tools

minio: $(TOOLS)/minio
$(TOOLS)/minio:
	@echo "installing MinIO $(MINIO_VERSION) into $(TOOLS) (first time: several minutes)"
	GOBIN=$(TOOLS) $(GO) install github.com/minio/minio@$(MINIO_VERSION)

mc: $(TOOLS)/mc
$(TOOLS)/mc:
	@echo "installing mc $(MC_VERSION) into $(TOOLS)"
	GOBIN=$(TOOLS) $(GO) install github.com/minio/mc@$(MC_VERSION)

staticcheck: $(TOOLS)/staticcheck
$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

system-tools:
	@missing=""; for pair in $(SYSTEM_TOOLS); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  if [ "$$cmd" = aws ]; then test -x /usr/bin/aws || missing="$$missing $$pkg"; \
	  else command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; fi; done; \
	if ! getent hosts probe.localhost >/dev/null 2>&1; then missing="$$missing libnss-myhostname"; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; fi; \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

## test: everything, with the race detector, against real MinIO, mc, Caddy,
## Chromium and S3 clients. -parallel 4: the end-to-end tests mostly wait on
## servers (MinIO starting, the scanner, a restart), so four of a package
## run at once on two cores.
test: tools build
	$(GO) vet ./...
	$(GO) test -race -count=1 -parallel 4 -timeout $(TEST_TIMEOUT) ./...

## bench: the table of figures, side by side with their alternatives
## measured in the same run, printed and written to bench/results.md
## (about five minutes on 2 cores), and the table of MinIO's drive
## layouts and heal time, bench/results-topology.md (about four more;
## root only). BENCH_ALL=1 then runs every package's
## own benchmarks too, into bench.out.
BENCH_ALL ?=
bench: minio mc build
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 -timeout 20m ./bench/
	@if [ -n "$(BENCH_ALL)" ]; then \
	  $(GO) test -run '^$$' -bench . -benchtime 1x -count 1 -timeout 30m $$($(GO) list ./... | grep -v '/bench$$') | tee bench.out; \
	fi

## lint: gofmt, go vet and staticcheck.
lint: staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(TOOLS)/staticcheck ./...

## run: install MinIO if missing, build, start the development host.
run: minio build
	$(BIN)/cloudos-dev --state-dir $(RUN_STATE) --plugins $(BIN)/plugins

clean:
	rm -rf $(BIN)
