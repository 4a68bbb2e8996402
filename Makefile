# Ławka — the two commands a newcomer needs are `make run` and `make test`.
# Both work on a fresh Debian machine: scripts/services.sh installs PostgreSQL and Redis
# when missing and starts private instances under .data/ (or uses LAWKA_DATABASE_URL /
# LAWKA_REDIS_URL, or servers already listening on localhost).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin/lawka
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X lawka/internal/version.Version=$(VERSION)
ENV := .data/env.sh

.PHONY: run build test vet fmt services stop e2e screenshots bench reliability fuzz clean help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: ## build bin/lawka
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/lawka

services: ## make sure PostgreSQL and Redis run (writes .data/env.sh)
	scripts/services.sh ensure

run: build services ## migrate, seed an empty database and serve on http://localhost:8080
	source $(ENV); \
	$(BIN) migrate up --seed-if-empty; \
	exec $(BIN) serve

vet: ## go vet and gofmt
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

test: services vet ## vet, then every test (race detector, real PostgreSQL, Redis and Chromium)
	source $(ENV); \
	export LAWKA_CHROMIUM="$$(scripts/chromium.sh)"; \
	$(GO) test -race -count=1 -timeout 30m ./...

e2e: services ## only the browser tests
	source $(ENV); \
	export LAWKA_CHROMIUM="$$(scripts/chromium.sh)"; \
	$(GO) test -count=1 -v ./e2e/...

screenshots: services ## refresh the README's screenshots (docs/screenshots)
	source $(ENV); \
	export LAWKA_CHROMIUM="$$(scripts/chromium.sh)"; \
	LAWKA_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run TestScreenshots ./e2e/...

bench: build services ## measure live polls and discussions against raw baselines, write BENCHMARKS.md (BENCH_QUICK=1: short run)
	source $(ENV); \
	$(GO) build -o bin/lawka-bench ./cmd/lawka-bench; \
	bin/lawka-bench run -lawka $(BIN) \
		$(if $(BENCH_QUICK),-quick -out .data/bench/BENCHMARKS.quick.md -command "BENCH_QUICK=1 make bench",-out BENCHMARKS.md -command "make bench")

reliability: build services ## kill and stop the server, PostgreSQL and Redis under load (private instances), write RELIABILITY.md
	$(GO) build -o bin/lawka-bench ./cmd/lawka-bench
	bin/lawka-bench reliability -lawka $(BIN)

FUZZTIME ?= 30s
fuzz: ## run every fuzz test for FUZZTIME each (default 30s); their seed corpora also run in make test
	@set -e; for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' internal cmd | xargs -n1 dirname | sort -u); do \
		for f in $$(grep -h '^func Fuzz' $$pkg/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "== $$pkg $$f"; $(GO) test ./$$pkg -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x; \
		done; \
	done

stop: ## stop the private PostgreSQL and Redis under .data/
	scripts/services.sh stop

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output (keeps .data/)
	rm -rf bin
