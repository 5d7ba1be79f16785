package config

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/golden"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md")

func TestDefaultsAreValid(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddress != ":9759" || c.CollectorTimeout != 10*time.Second || !c.ExporterMetrics {
		t.Errorf("defaults %+v", c)
	}
}

// A stray unprefixed variable in the pod must not configure us (the reason
// STYLE.md bans envconfig:"NAME" tags).
func TestUnprefixedVariablesIgnored(t *testing.T) {
	t.Setenv("KUBE_API_QPS", "0")
	t.Setenv("LOG_LEVEL", "nonsense")
	if _, err := Load(); err != nil {
		t.Fatalf("unprefixed variables changed the configuration: %v", err)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	for key, value := range map[string]string{
		"RELIABILITY_KUBE_API_QPS":   "-1",
		"RELIABILITY_KUBE_API_BURST": "x",
		"RELIABILITY_LOG_FORMAT":     "xml",
		"RELIABILITY_RESYNC_PERIOD":  "-1s",
		"RELIABILITY_LISTEN_ADDRESS": "host:99999",
	} {
		t.Run(key, func(t *testing.T) {
			t.Setenv(key, value)
			_, err := Load()
			if err == nil || !strings.HasPrefix(err.Error(), "invalid "+key+"=") {
				t.Errorf("err = %v, want it to name %s", err, key)
			}
		})
	}
}

// TestConfigurationDoc keeps docs/configuration.md equal to --help.
func TestConfigurationDoc(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("# Configuration\n\nEvery setting is an environment variable. Generated from `internal/config` by\n`go test ./internal/config -update`; the same text is printed by `kube-reliability-exporter --help`.\n\n```\n")
	if err := Usage(&b, ""); err != nil {
		t.Fatal(err)
	}
	b.WriteString("```\n")
	golden.Check(t, "../../docs/configuration.md", b.Bytes(), *update, "make generate")
}

// A misspelt variable is an error naming the closest known one, not a
// default silently used.
func TestUnknownVariable(t *testing.T) {
	t.Setenv("RELIABILITY_LISTEN_ADRESS", ":9000")
	_, err := Load()
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "RELIABILITY_LISTEN_ADRESS" || !strings.Contains(err.Error(), "did you mean RELIABILITY_LISTEN_ADDRESS?") {
		t.Errorf("got %v, want an error naming RELIABILITY_LISTEN_ADRESS and RELIABILITY_LISTEN_ADDRESS", err)
	}
	if err := unknownVariable([]string{"RELIABILITY_LOG_LEVEL=debug", "PATH=/bin", "RELIABILITYX=1"}); err != nil {
		t.Errorf("known and foreign variables: %v", err)
	}
}
