//go:build !agentonly

package kube

import (
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
)

// CertManagerCertificateGVR is cert-manager's Certificate.
var CertManagerCertificateGVR = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}

// CertManagerWatcher watches cert-manager's Certificates once the CRD
// exists (see crdWatch): what was issued, to compare with what is served.
// The Secrets they write are never read.
type CertManagerWatcher struct {
	*crdWatch
	changes atomic.Uint64
}

// NewCertManagerWatcher builds the watcher.
func NewCertManagerWatcher(disc discovery.DiscoveryInterface, dyn dynamic.Interface, interval time.Duration, logger *slog.Logger) *CertManagerWatcher {
	w := &CertManagerWatcher{}
	w.crdWatch = &crdWatch{disc: disc, dyn: dyn, interval: interval, logger: logger,
		gv: CertManagerCertificateGVR.GroupVersion(), resources: map[string]schema.GroupVersionResource{"certificates": CertManagerCertificateGVR},
		trim:    map[string]cache.TransformFunc{"certificates": trimCertificate},
		changed: func() { w.changes.Add(1) }, found: "cert-manager found, watching its Certificates"}
	return w
}

func trimCertificate(obj any) (any, error) {
	if out, ok := trimUnstructured(obj, []string{"spec", "secretName"}, []string{"status", "notAfter"}, []string{"status", "conditions"}); ok {
		return out, nil
	}
	return obj, nil
}

// Version changes whenever a Certificate does.
func (w *CertManagerWatcher) Version() uint64 { return w.changes.Load() }

// Certificates lists what cert-manager issued: certs.ErrNoCertManager
// while the CRD is absent, cluster.ErrNotSynced until the cache has
// synced.
func (w *CertManagerWatcher) Certificates() ([]certs.Issued, error) {
	objs, err := w.objects("certificates")
	if errors.Is(err, errCRDAbsent) {
		return nil, certs.ErrNoCertManager
	}
	if err != nil {
		return nil, err
	}
	var out []certs.Issued
	for _, u := range objs {
		c := certs.Issued{Namespace: u.GetNamespace(), Name: u.GetName()}
		c.Secret, _, _ = unstructured.NestedString(u.Object, "spec", "secretName")
		if s, _, _ := unstructured.NestedString(u.Object, "status", "notAfter"); s != "" {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				c.NotAfter = t
			}
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, cond := range conds {
			m, _ := cond.(map[string]any)
			if m["type"] != "Ready" {
				continue
			}
			switch m["status"] {
			case "True":
				c.Ready = new(true)
			case "False":
				c.Ready = new(false)
				c.Reason, _ = m["reason"].(string)
				c.Message, _ = m["message"].(string)
			}
		}
		out = append(out, c)
	}
	return out, nil
}
