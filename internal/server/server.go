package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
)

// Options configures the handler.
type Options struct {
	Logger *slog.Logger
	Mode   string
	// Collectors write the exporter's exposition (collector.Set).
	Collectors Exposer
	// ExporterMetrics adds Go runtime, process and promhttp metrics.
	ExporterMetrics bool
	// Pprof serves /debug/pprof.
	Pprof               bool
	MaxRequestsInFlight int
	// Ready returns nil when the exporter is ready to serve true numbers.
	Ready func() error
	// Hypotheses, if set, are served on /hypotheses.
	Hypotheses Hypotheses
}

// DocsURL is where the documentation lives (the landing page links it).
const DocsURL = "https://github.com/kube-reliability/kube-reliability-exporter/tree/main/docs"

// Handler builds the exporter's mux on private registries: the exporter's
// own metrics (build info, Go, process) in one, the collectors in another,
// so neither global state nor a library can leak series into a scrape.
func Handler(o Options) (http.Handler, error) {
	self := prometheus.NewRegistry()
	if err := self.Register(versioncollector.NewCollector("kube_reliability")); err != nil {
		return nil, fmt.Errorf("register build info: %w", err)
	}
	if o.ExporterMetrics {
		for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
			if err := self.Register(c); err != nil {
				return nil, fmt.Errorf("register exporter metrics: %w", err)
			}
		}
	}
	var metrics http.Handler = &metricsHandler{self: self, collectors: o.Collectors, logger: o.Logger,
		inFlight: make(chan struct{}, max(1, o.MaxRequestsInFlight))}
	if o.ExporterMetrics {
		metrics = promhttp.InstrumentMetricHandler(self, metrics)
	}

	links := []web.LandingLinks{
		{Address: "/metrics", Text: "Metrics"},
		{Address: "/healthz", Text: "Liveness", Description: "the process answers; never checks dependencies"},
		{Address: "/readyz", Text: "Readiness", Description: "503 until the informer caches have first synced, then 200: the last state is served through API server outages"},
	}
	if o.Hypotheses != nil {
		links = append(links, web.LandingLinks{Address: "/hypotheses", Text: "Steady-state hypotheses",
			Description: "every hypothesis as JSON; /hypotheses/<name> answers 200 if it holds, 503 if not (for chaos tools); /hypotheses?all (or ?require=a,b) 200 only when every one holds (go/no-go)"})
	}
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "kube-reliability-exporter",
		Description: "Will this cluster survive the next bad day? Reliability signals for Kubernetes (" + o.Mode + " mode).",
		Version:     version.Info(),
		Links:       links,
		// Links are served under the route prefix; the docs are not.
		ExtraHTML: `<p>Documentation: <a href="` + DocsURL + `">metric reference, runbooks, configuration</a></p>`,
		// Its profile links lead nowhere unless pprof is served.
		Profiling: strconv.FormatBool(o.Pprof),
	})
	if err != nil {
		return nil, fmt.Errorf("landing page: %w", err)
	}

	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	if o.Hypotheses != nil {
		h := hypothesesHandler(o.Hypotheses, o.Logger)
		mux.HandleFunc("/hypotheses", h)
		mux.HandleFunc("/hypotheses/", h)
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if o.Ready != nil {
			if err := o.Ready(); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	if o.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("/", landing)
	return mux, nil
}

// Serve serves h on l until ctx is done, then shuts down gracefully. With
// webConfigFile set, TLS and basic auth follow that file (validated first).
func Serve(ctx context.Context, l net.Listener, h http.Handler, webConfigFile string, logger *slog.Logger) error {
	if webConfigFile != "" {
		if err := web.Validate(webConfigFile); err != nil {
			return fmt.Errorf("web config %s: %w", webConfigFile, err)
		}
	}
	srv := &http.Server{
		Handler: h, ReadHeaderTimeout: 10 * time.Second,
		// net/http's own errors (TLS handshakes from scanners, say) go
		// through slog like everything else.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	systemd := false
	flags := &web.FlagConfig{WebListenAddresses: &[]string{l.Addr().String()}, WebSystemdSocket: &systemd, WebConfigFile: &webConfigFile}
	errc := make(chan error, 1)
	go func() { errc <- web.Serve(l, srv, flags, logger) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
