package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// restConfig is the API client configuration, found as kubectl finds it
// (kubeconfigSource), and logged.
func restConfig(e *environment) (*rest.Config, error) {
	files, source := kubeconfigSource(e.cfg.Kubeconfig, os.Getenv(clientcmd.RecommendedConfigPathEnvVar), homeDir())
	var rc *rest.Config
	var err error
	if files == nil {
		rc, err = rest.InClusterConfig()
	} else {
		rules := &clientcmd.ClientConfigLoadingRules{Precedence: files}
		if e.cfg.Kubeconfig != "" {
			// Named outright: a missing file is an error, not skipped.
			rules = &clientcmd.ClientConfigLoadingRules{ExplicitPath: e.cfg.Kubeconfig}
		}
		rc, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes client config from %s: %w", source, err)
	}
	e.logger.Info("kubernetes client config", "from", source, "host", rc.Host)
	rc.QPS, rc.Burst = e.cfg.KubeApiQps, e.cfg.KubeApiBurst
	rc.UserAgent = "kube-reliability-exporter"
	return rc, nil
}

// kubeconfigSource picks the kubeconfig files as kubectl does, after the
// exporter's own variable: RELIABILITY_KUBECONFIG, then $KUBECONFIG (a
// list, merged), then ~/.kube/config where it exists, then the in-cluster
// service account (nil files). source says which, for the log and errors.
func kubeconfigSource(explicit, env, home string) (files []string, source string) {
	switch {
	case explicit != "":
		return []string{explicit}, "RELIABILITY_KUBECONFIG=" + explicit
	case env != "":
		return filepath.SplitList(env), "KUBECONFIG=" + env
	}
	if home != "" {
		path := filepath.Join(home, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)
		if _, err := os.Stat(path); err == nil {
			return []string{path}, path
		}
	}
	return nil, "the in-cluster service account"
}

// homeDir is $HOME, or nothing where it is unset (a container without
// one): no home kubeconfig then.
func homeDir() string {
	home, err := os.UserHomeDir()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return ""
	}
	return home
}

// protobuf asks for protobuf (JSON remains the fallback) for built-in
// resources: a third of the bytes on the wire and of the decoding work
// for the initial lists of 150,000 pods. CRDs (dynamic, metadata clients)
// speak JSON only.
func protobuf(rc *rest.Config) *rest.Config {
	pc := rest.CopyConfig(rc)
	pc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	pc.ContentType = "application/vnd.kubernetes.protobuf"
	return pc
}
