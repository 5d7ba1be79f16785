//go:build !agentonly

package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

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
// system:public-info-viewer) and returns its gitVersion ("v1.37.2").
func APIServerVersion(client kubernetes.Interface) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
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
}
