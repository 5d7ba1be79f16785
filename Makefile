# kube-reliability-exporter — the targets the README names.
GO        ?= go
BIN       := bin/kube-reliability-exporter
PKG       := ./cmd/kube-reliability-exporter
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w \
	-X github.com/prometheus/common/version.Version=$(VERSION) \
	-X github.com/prometheus/common/version.Revision=$(REVISION) \
	-X github.com/prometheus/common/version.Branch=main
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME  ?= 30s

.PHONY: build demo test test-deps testbins lint bench bench-scale predictions fuzz fuzz-long generate

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags nodemo -ldflags '$(LDFLAGS)' -o $(BIN) $(PKG)
	CGO_ENABLED=0 $(GO) build -trimpath -tags agentonly -ldflags '$(LDFLAGS)' -o $(BIN)-agent $(PKG)

# Runs the exporter on the bundled example cluster: no cluster needed.
demo:
	$(GO) run $(PKG) demo

# Installs promtool and builds kube-apiserver (first run only), then runs
# every test — real API server, promtool rule tests — with the race detector.
# The ingress package runs last and alone: its truth tests compare, in real
# time, what nginx's clients saw with what the 1-second sampler counted,
# and other packages' load (two cores, -race) starves the sampler.
test: test-deps
	$(GO) test -race -count=1 -timeout 30m $$($(GO) list ./... | grep -v '/ingress$$')
	$(GO) test -race -count=1 -timeout 10m ./ingress

test-deps:
	bash hack/test-deps.sh

testbins:
	bash hack/test-binaries.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go'))" || { gofmt -l $$(git ls-files -co --exclude-standard '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags agentonly ./cmd/...
	$(GO) vet -tags nodemo ./cmd/...
	$(GO) run $(STATICCHECK) ./...

# Benchmarks, written with machine and date to bench/results.txt.
bench:
	bash hack/bench.sh

# Central's cost on a real API server filled to each size in KRE_SCALE_PODS
# (default 1000,10000,50000,150000), with KRE_SCALE_SOAK (default 10m) of
# scrapes at each: bench/scale/<pods>.json and bench/scale/README.md.
# KRE_SCALE_PROFILE_DIR=dir also saves central's CPU and heap profiles per
# size; KRE_SCALE_CENTRAL_ENV="GOGC=50" passes settings to central for an
# experiment (the figures in bench/ are taken with the defaults).
bench-scale: test-deps
	$(GO) test ./test/scale -run '^$$' -bench BenchmarkScale -benchtime 1x -timeout 300m -v

# The prediction battery in full: KRE_PREDICTIONS generated clusters
# (default 210) on a real control plane, each prediction compared with the
# experiment run for real; the agreement table goes to bench/predictions.txt.
# make test runs the first 9 cases of the same battery.
predictions: test-deps
	KRE_PREDICTIONS=$${KRE_PREDICTIONS:-210} KRE_PREDICTIONS_OUT=$(CURDIR)/bench/predictions.txt \
		$(GO) test ./test/predictions -run TestPredictions -count=1 -timeout 300m -v

# fuzz-long: every Fuzz function of the module (found, not listed), 10
# minutes each by default, results in bench/fuzz.txt.
fuzz-long:
	FUZZTIME=$(if $(filter command line environment,$(origin FUZZTIME)),$(FUZZTIME),10m) bash hack/fuzz-all.sh

# Fuzzes every parser for FUZZTIME each; new failing inputs land in testdata/fuzz.
fuzz:
	$(GO) test ./internal/manifest -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./internal/audit -run '^$$' -fuzz FuzzAnalyzeManifest -fuzztime $(FUZZTIME)
	$(GO) test ./etcd -run '^$$' -fuzz FuzzParseVersion -fuzztime $(FUZZTIME)
	$(GO) test ./etcd -run '^$$' -fuzz FuzzParseQuota -fuzztime $(FUZZTIME)
	$(GO) test ./etcd -run '^$$' -fuzz FuzzParseStorageSizes -fuzztime $(FUZZTIME)
	$(GO) test ./etcd -run '^$$' -fuzz FuzzParseAPIServerMetrics -fuzztime $(FUZZTIME)
	$(GO) test ./internal/controllerversions -run '^$$' -fuzz FuzzIdentify -fuzztime $(FUZZTIME)
	$(GO) test ./internal/host -run '^$$' -fuzz FuzzParseMountInfo -fuzztime $(FUZZTIME)
	$(GO) test ./internal/host -run '^$$' -fuzz FuzzParseDiskStats -fuzztime $(FUZZTIME)
	$(GO) test ./ingress -run '^$$' -fuzz FuzzParseTCP -fuzztime $(FUZZTIME)
	$(GO) test ./ingress -run '^$$' -fuzz FuzzParsePPID -fuzztime $(FUZZTIME)
	$(GO) test ./ingress -run '^$$' -fuzz FuzzParseUint -fuzztime $(FUZZTIME)
	$(GO) test ./ingress -run '^$$' -fuzz FuzzParseStubStatus -fuzztime $(FUZZTIME)
	$(GO) test ./internal/podcgroup -run '^$$' -fuzz FuzzPodUID -fuzztime $(FUZZTIME)
	$(GO) test ./internal/healthresp -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)

# Regenerates docs/metrics.md, docs/configuration.md, the PrometheusRule and goldens.
generate:
	$(GO) test ./collector -run TestMetricsDoc -update
	$(GO) test ./internal/config -run TestConfigurationDoc -update
	$(GO) test ./alerts -run TestPrometheusRuleRendered -update
	python3 hack/gen-dashboards.py
	$(GO) test ./deploy -run TestChartGeneratedFilesCurrent -update
	$(GO) test ./internal/findings -run TestFindingsDoc -update
	$(GO) test ./cmd/kube-reliability-exporter -run TestDemoEndToEnd -update
