//go:build !agentonly

package kube

import (
	"encoding/base64"
	"log/slog"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// APIServiceGVR is the aggregation layer's APIService.
var APIServiceGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// APIServiceWatcher watches APIServices (through the dynamic client: the
// aggregator's typed client is a module of its own).
type APIServiceWatcher struct{ *crdWatch }

// NewAPIServiceWatcher builds the watcher.
func NewAPIServiceWatcher(disc discovery.DiscoveryInterface, dyn dynamic.Interface, interval time.Duration, logger *slog.Logger) *APIServiceWatcher {
	return &APIServiceWatcher{&crdWatch{disc: disc, dyn: dyn, interval: interval, logger: logger,
		gv: APIServiceGVR.GroupVersion(), resources: map[string]schema.GroupVersionResource{"apiservices": APIServiceGVR},
		trim: map[string]cache.TransformFunc{"apiservices": trimAPIService}, found: "watching APIServices"}}
}

func trimAPIService(obj any) (any, error) {
	if out, ok := trimUnstructured(obj, []string{"spec", "caBundle"}, []string{"spec", "service"}, []string{"spec", "insecureSkipTLSVerify"}); ok {
		return out, nil
	}
	return obj, nil
}

// APIServices lists them: cluster.ErrNotSynced until the cache has synced.
func (w *APIServiceWatcher) APIServices() ([]certs.APIService, error) {
	objs, err := w.objects("apiservices")
	if err != nil {
		return nil, cluster.ErrNotSynced // absent counts as not synced: the API always serves it
	}
	var out []certs.APIService
	for _, u := range objs {
		a := certs.APIService{Name: u.GetName()}
		svc, found, _ := unstructured.NestedMap(u.Object, "spec", "service")
		a.Local = !found || svc == nil
		if !a.Local {
			ns, _ := svc["namespace"].(string)
			name, _ := svc["name"].(string)
			port, ok := svc["port"].(int64)
			if !ok {
				port = 443
			}
			a.Service = &certs.ServiceRef{Namespace: ns, Name: name, Port: int32(port)}
		}
		a.InsecureSkipVerify, _, _ = unstructured.NestedBool(u.Object, "spec", "insecureSkipTLSVerify")
		if b64, _, _ := unstructured.NestedString(u.Object, "spec", "caBundle"); b64 != "" {
			// A bundle that does not decode is reported as invalid.
			if b, err := base64.StdEncoding.DecodeString(b64); err == nil {
				a.CABundle = b
			} else {
				a.CABundle = []byte(b64)
			}
		}
		out = append(out, a)
	}
	return out, nil
}
