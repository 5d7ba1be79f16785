package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The exporter finds its kubeconfig as kubectl does, after its own
// variable.
func TestKubeconfigSource(t *testing.T) {
	home := t.TempDir()
	homeConfig := filepath.Join(home, ".kube", "config")
	tests := []struct {
		name, explicit, env string
		homeFile            bool
		want                []string
		source              string
	}{
		{"own variable first", "/etc/kre/kubeconfig", "/a:/b", true, []string{"/etc/kre/kubeconfig"}, "RELIABILITY_KUBECONFIG=/etc/kre/kubeconfig"},
		{"then KUBECONFIG, a list", "", "/a" + string(os.PathListSeparator) + "/b", true, []string{"/a", "/b"}, "KUBECONFIG=/a" + string(os.PathListSeparator) + "/b"},
		{"then ~/.kube/config", "", "", true, []string{homeConfig}, homeConfig},
		{"then in-cluster", "", "", false, nil, "the in-cluster service account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.RemoveAll(filepath.Dir(homeConfig))
			if tt.homeFile {
				if err := os.MkdirAll(filepath.Dir(homeConfig), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(homeConfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			files, source := kubeconfigSource(tt.explicit, tt.env, home)
			if !slices.Equal(files, tt.want) || source != tt.source {
				t.Errorf("got %v from %q, want %v from %q", files, source, tt.want, tt.source)
			}
		})
	}
}

// A build without -ldflags says "devel" (or go install's module
// version), never an empty version.
func TestVersionWithoutLdflags(t *testing.T) {
	if v := moduleVersion(); v == "" {
		t.Error("empty module version")
	}
}
