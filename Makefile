# facmon — the two commands a fresh machine needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X main.buildVersion=$(VERSION)
PKGS := ./...
TEST_TIMEOUT ?= 30m

.PHONY: all build run test prereqs fmt-check vet unit rules-test bench fuzz clean

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/facmon ./cmd/facmon

## run: the embedded demo community — no outside services needed.
run: build
	./bin/facmon demo

## prereqs: real servers the tests use (apt-get when root; go install influxd once).
prereqs:
	@bash deploy/testbed/prereqs.sh >/dev/null

## test: gofmt check, go vet, every test with -race, and the seed rule pack's tests.
test: prereqs fmt-check vet unit rules-test

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -race -timeout $(TEST_TIMEOUT) $(PKGS)

rules-test: build
	@if ls seeds/rules/*_test.yaml >/dev/null 2>&1; then ./bin/facmon rules test seeds/rules/*_test.yaml; fi
	$(GO) test -count=1 -run '^TestPackMutations$$' ./seeds/rules/

## bench: Go benchmarks and end-to-end runs against the real servers.
bench:
	@bash deploy/testbed/prereqs.sh --bench >/dev/null
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m $(PKGS)

## fuzz: a short run of every fuzz target (FUZZTIME each).
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin
