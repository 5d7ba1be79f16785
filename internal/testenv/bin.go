package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// BinDirEnv overrides where the control-plane binaries are looked up.
const BinDirEnv = "KRE_TEST_BIN_DIR"

// OldEtcdBinary returns the older etcd release hack/test-binaries.sh
// builds from test/etcdbuild, and its version ("v3.6.16").
func OldEtcdBinary() (path, version string, err error) {
	return EtcdRelease("etcdbuild", os.Getenv("KRE_TEST_ETCD_DIR"))
}

// EtcdRelease returns the etcd hack/test-binaries.sh builds from
// test/<module>, and its version; dir overrides where it is looked up.
func EtcdRelease(module, dir string) (path, version string, err error) {
	root, err := repoRoot()
	if err != nil {
		return "", "", err
	}
	version, err = requiredVersion(filepath.Join(root, "test", module, "go.mod"), "go.etcd.io/etcd/server/v3")
	if err != nil {
		return "", "", err
	}
	if dir == "" {
		dir = filepath.Join(cacheDir(), "etcd-"+version)
	}
	path = filepath.Join(dir, "etcd")
	if _, err := os.Stat(path); err != nil {
		return "", "", fmt.Errorf("etcd %s not found in %s (build it once with 'make testbins'): %w", version, dir, err)
	}
	return path, version, nil
}

// BinDir returns the directory holding kube-apiserver and
// kube-controller-manager as hack/test-binaries.sh builds them:
// $KRE_TEST_BIN_DIR, else <user cache>/kube-reliability-exporter/kube-<version>
// with the version read from test/kubebuild/go.mod.
func BinDir() (string, error) {
	if d := os.Getenv(BinDirEnv); d != "" {
		return d, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	version, err := requiredVersion(filepath.Join(root, "test", "kubebuild", "go.mod"), "k8s.io/kubernetes")
	if err != nil {
		return "", err
	}
	return filepath.Join(cacheDir(), "kube-"+version), nil
}

// cacheDir is where hack/test-binaries.sh keeps what it builds.
func cacheDir() string {
	if c := os.Getenv("KRE_TEST_CACHE"); c != "" {
		return c
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home := os.Getenv("HOME")
		if home == "" {
			home = "/tmp" // as hack/test-binaries.sh does
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "kube-reliability-exporter")
}

// Binary returns the path of a control-plane binary, or an error telling
// how to build it.
func Binary(name string) (string, error) {
	dir, err := BinDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found in %s (build it once with 'make testbins'): %w", name, dir, err)
	}
	return p, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "test", "kubebuild", "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: repository root (with test/kubebuild/go.mod) not found above the working directory")
		}
		dir = parent
	}
}

func requiredVersion(gomod, module string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "require" {
			fields = fields[1:]
		}
		if len(fields) >= 2 && fields[0] == module && strings.HasPrefix(fields[1], "v") {
			return fields[1], nil
		}
	}
	return "", fmt.Errorf("no %s requirement in %s", module, gomod)
}
