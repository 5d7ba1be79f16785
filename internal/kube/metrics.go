//go:build !agentonly

package kube

import (
	"context"
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
