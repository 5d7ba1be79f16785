//go:build !agentonly

package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// APIServerMetrics GETs the API server's own /metrics through client, for
// etcd.StorageMonitor. A refusal (forbidden, unauthorized) wraps
// cluster.ErrNoData: the rule for /metrics is optional.
func APIServerMetrics(client kubernetes.Interface) func(context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		body, err := client.Discovery().RESTClient().Get().AbsPath("/metrics").Stream(ctx)
		if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
			return nil, fmt.Errorf("%w: the API server's /metrics is forbidden: %v", cluster.ErrNoData, err)
		}
		return body, err
	}
}

// APIServerVersion GETs /version (allowed to every client through
// system:public-info-viewer) and returns its gitVersion ("v1.37.2"). The
// answer is kept for versionTTL (a failure for versionRetry): collectors
// ask on every scrape, and an API server that refuses requests must not
// be asked again on each one.
func APIServerVersion(client kubernetes.Interface) func(context.Context) (string, error) {
	var (
		mu      sync.Mutex
		version string
		err     error
		until   time.Time
	)
	return func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if time.Now().Before(until) {
			return version, err
		}
		version, err = readVersion(ctx, client)
		until = time.Now().Add(versionTTL)
		if err != nil {
			until = time.Now().Add(versionRetry)
		}
		return version, err
	}
}

// The API server's version changes with an upgrade alone.
const (
	versionTTL   = 5 * time.Minute
	versionRetry = 30 * time.Second
)

func readVersion(ctx context.Context, client kubernetes.Interface) (string, error) {
	b, err := client.Discovery().RESTClient().Get().AbsPath("/version").DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("GET /version: %w", err)
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("GET /version: %w", err)
	}
	return v.GitVersion, nil
}
