package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type nothing struct{}

func (nothing) Describe(chan<- *prometheus.Desc) {}
func (nothing) Collect(chan<- prometheus.Metric) {}

// /readyz follows the readiness function; /healthz never does: a liveness
// probe that checked dependencies would restart the exporter whenever the
// API server is slow (the seed's restart-loop lesson).
func TestReadyzAndHealthz(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	h, err := Handler(Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mode: "test", Collector: nothing{},
		MaxRequestsInFlight: 1, Timeout: time.Second,
		Ready: func() error {
			if !ready.Load() {
				return errors.New("caches not synced")
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, h, "", slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	code := func(path string) int {
		resp, err := http.Get("http://" + l.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := code("/readyz"); c != http.StatusServiceUnavailable {
		t.Errorf("/readyz before sync = %d, want 503", c)
	}
	if c := code("/healthz"); c != http.StatusOK {
		t.Errorf("/healthz before sync = %d, want 200", c)
	}
	ready.Store(true)
	if c := code("/readyz"); c != http.StatusOK {
		t.Errorf("/readyz after sync = %d, want 200", c)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
}

func TestServeRejectsBadWebConfig(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = Serve(context.Background(), l, http.NotFoundHandler(), "/nonexistent/web.yml", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		t.Fatal("a missing web config file was accepted")
	}
}
