// Command kube-reliability-exporter measures whether a Kubernetes cluster
// survives its next bad day and exports the answers as Prometheus metrics.
//
// Usage: kube-reliability-exporter <central|agent|audit|demo|version> [--help] [args]
//
// All configuration comes from RELIABILITY_* environment variables; --help
// lists them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"k8s.io/klog/v2"

	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
	"github.com/kube-reliability/kube-reliability-exporter/internal/memlimit"
)

// Exit codes: 0 success, 1 failure (or audit findings), 2 usage or
// configuration error.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

type modeFunc func(ctx context.Context, e *environment) error

// environment is what a mode receives from main.
type environment struct {
	cfg    *config.Config
	args   []string
	logger *slog.Logger
	stdout io.Writer
	// started, when set, is called with the address a serving mode
	// listens on, once it accepts connections (tests pass it).
	started func(addr string)
}

var modes = []struct {
	name, summary string
	run           modeFunc
}{
	{"central", "watch the cluster through the API server and serve /metrics (a Deployment)", runCentral},
	{"agent", "measure this node from the host's /proc and /sys and serve /metrics (a DaemonSet)", runAgent},
	{"audit", "analyze manifest files, directories, kubectl dumps, Helm charts, kustomizations or - (standard input) and print findings", runAudit},
	{"demo", "serve /metrics for a bundled example cluster: no cluster needed", runDemo},
	{"version", "print the version", runVersion},
}

func main() {
	// SIGHUP reloads nothing because nothing needs it: the hypotheses file
	// and the web config are re-read when they change. Ignored rather than
	// fatal (Go's default), so a stray HUP (a closed terminal, a reload
	// habit) never takes the exporter down.
	signal.Ignore(syscall.SIGHUP)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// usageError is a command-line mistake: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// findingsError makes audit exit 1 without logging an error.
type findingsError struct{}

func (findingsError) Error() string { return "audit found problems" }

func run(ctx context.Context, args []string, stdout, stderr io.Writer, started func(string)) int {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		printUsage(stdout, "")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var mode modeFunc
	for _, m := range modes {
		if m.name == args[0] {
			mode = m.run
		}
	}
	if mode == nil {
		fmt.Fprintf(stderr, "unknown mode %q; run with --help for the modes\n", args[0])
		return exitUsage
	}
	rest := args[1:]
	for _, a := range rest {
		if a == "--help" || a == "-h" {
			printUsage(stdout, args[0])
			return exitOK
		}
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	logger, err := newLogger(cfg, args[0], stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	// client-go logs through klog: one logger, one format (JSON logs would
	// otherwise get klog's text lines).
	klog.SetSlogLogger(logger)
	// The container's memory limit, not twice the live heap, bounds
	// memory (GOMEMLIMIT, when set, wins).
	if soft, err := memlimit.Set("/sys/fs/cgroup"); err != nil {
		logger.Warn("Go memory limit not set from the container's", "err", err)
	} else if soft > 0 {
		logger.Debug("Go memory limit set from the container's", "bytes", soft)
	}
	// Heap profiles are read only through /debug/pprof: without it no
	// allocation is sampled (the samples' stack table alone is over 1 MB,
	// on every node for the agent).
	if !cfg.DebugPprof {
		runtime.MemProfileRate = 0
	}
	err = mode(ctx, &environment{cfg: cfg, args: rest, logger: logger, stdout: stdout, started: started})
	var ue usageError
	var ce *config.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &ce):
		fmt.Fprintln(stderr, err)
		return exitUsage
	case errors.Is(err, findingsError{}):
		return exitFailed
	default:
		logger.Error("exiting", "err", err)
		return exitFailed
	}
}

func printUsage(w io.Writer, mode string) {
	if mode == "" {
		fmt.Fprintln(w, "Usage: kube-reliability-exporter <mode> [--help] [args]\n\nModes:")
		for _, m := range modes {
			fmt.Fprintf(w, "  %-8s %s\n", m.name, m.summary)
		}
		fmt.Fprintln(w)
	} else {
		for _, m := range modes {
			if m.name == mode {
				fmt.Fprintf(w, "Usage: kube-reliability-exporter %s", mode)
				if mode == "audit" {
					fmt.Fprint(w, " <file|dir|->...   (- reads standard input)")
				}
				fmt.Fprintf(w, "\n\n%s.\n\n", m.summary)
			}
		}
	}
	_ = config.Usage(w, mode)
	fmt.Fprintln(w, "\nExit codes:")
	switch mode {
	case "audit":
		fmt.Fprintln(w, "  0  no finding at or above RELIABILITY_AUDIT_FAIL_ON, score not below RELIABILITY_AUDIT_MIN_SCORE")
		fmt.Fprintln(w, "  1  such findings or such a score, or an input that cannot be read, parsed or rendered")
	case "version":
		fmt.Fprintln(w, "  0  printed")
	default:
		fmt.Fprintln(w, "  0  stopped by SIGTERM or SIGINT (servers), or done")
		fmt.Fprintln(w, "  1  failed (the log says why)")
	}
	fmt.Fprintln(w, "  2  usage or configuration error (one line names the variable or argument)")
}

func newLogger(cfg *config.Config, mode string, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, &config.Error{Key: config.Key("LOG_LEVEL"), Value: cfg.LogLevel, Err: err}
	}
	format := cfg.LogFormat
	if format == "" {
		format = "json"
		if mode == "audit" || mode == "demo" {
			format = "text"
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h).With("mode", mode), nil
}
