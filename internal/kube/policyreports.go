//go:build !agentonly

package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
	"github.com/kube-reliability/kube-reliability-exporter/internal/policyreport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/poll"
)

var (
	policyReportsGVR        = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}
	clusterPolicyReportsGVR = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "clusterpolicyreports"}
)

// fieldManager owns the reports' fields (server-side apply).
const fieldManager = "kube-reliability-exporter"

// PolicyReportWriter keeps the exporter's PolicyReports and
// ClusterPolicyReport in the cluster as the live findings are (the score
// collector offers them each time the cluster changes): applied
// server-side, at most every interval, and deleted where a namespace has no
// finding left. It writes only reports labelled as the exporter's and
// needs the optional role in deploy/kustomize/policy-reports.
type PolicyReportWriter struct {
	dyn      dynamic.Interface
	interval time.Duration
	logger   *slog.Logger
	now      func() time.Time

	mu              sync.Mutex
	active, ignored []findings.Finding
	offered         uint64 // generation of the findings offered
	applied         uint64 // generation last written
	lastErr         string // the last failure logged, to log each once
}

// NewPolicyReportWriter builds the writer.
func NewPolicyReportWriter(dyn dynamic.Interface, interval time.Duration, logger *slog.Logger) *PolicyReportWriter {
	return &PolicyReportWriter{dyn: dyn, interval: interval, logger: logger, now: time.Now}
}

// Offer hands the writer the current findings; unchanged ones cost nothing.
func (w *PolicyReportWriter) Offer(active, ignored []findings.Finding) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.offered > 0 && slices.Equal(active, w.active) && slices.Equal(ignored, w.ignored) {
		return
	}
	w.active, w.ignored = slices.Clone(active), slices.Clone(ignored)
	w.offered++
}

// Run writes at once and then every interval until ctx is done.
func (w *PolicyReportWriter) Run(ctx context.Context) {
	poll.Every(ctx, w.interval, func(ctx context.Context) {
		if err := w.SyncOnce(ctx); err != nil {
			w.mu.Lock()
			if err.Error() != w.lastErr {
				w.logger.Warn("policy reports not written (is the PolicyReport CRD installed, and the policy-reports role bound?)", "err", err)
				w.lastErr = err.Error()
			}
			w.mu.Unlock()
		}
	})
}

// SyncOnce writes the findings offered last, if they changed since the
// last write: every report applied, the exporter's reports of namespaces
// without findings deleted.
func (w *PolicyReportWriter) SyncOnce(ctx context.Context) error {
	w.mu.Lock()
	gen, active, ignored := w.offered, w.active, w.ignored
	done := gen == 0 || gen == w.applied
	w.mu.Unlock()
	if done {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, w.interval)
	defer cancel()
	keep := map[string]bool{}
	for _, rep := range policyreport.Build(active, ignored, w.now()) {
		body, err := json.Marshal(rep)
		if err != nil {
			return fmt.Errorf("encode %s: %w", rep.Kind, err)
		}
		ri := w.resource(rep.Metadata.Namespace)
		force := true
		if _, err := ri.Patch(ctx, rep.Metadata.Name, types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: fieldManager, Force: &force}); err != nil {
			return fmt.Errorf("apply %s %s/%s: %w", rep.Kind, rep.Metadata.Namespace, rep.Metadata.Name, err)
		}
		keep[rep.Metadata.Namespace] = true
	}
	if err := w.deleteStale(ctx, keep); err != nil {
		return err
	}
	w.mu.Lock()
	w.applied, w.lastErr = gen, ""
	w.mu.Unlock()
	w.logger.Debug("policy reports written", "reports", len(keep))
	return nil
}

func (w *PolicyReportWriter) resource(namespace string) dynamic.ResourceInterface {
	if namespace == "" {
		return w.dyn.Resource(clusterPolicyReportsGVR)
	}
	return w.dyn.Resource(policyReportsGVR).Namespace(namespace)
}

// deleteStale deletes the exporter's reports (by name and label) of
// namespaces that no longer have a finding.
func (w *PolicyReportWriter) deleteStale(ctx context.Context, keep map[string]bool) error {
	sel := metav1.ListOptions{LabelSelector: policyreport.ManagedBy + "=" + policyreport.Source}
	for _, gvr := range []schema.GroupVersionResource{policyReportsGVR, clusterPolicyReportsGVR} {
		list, err := w.dyn.Resource(gvr).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("list %s: %w", gvr.Resource, err)
		}
		for _, it := range list.Items {
			if it.GetName() != policyreport.Name || keep[it.GetNamespace()] {
				continue
			}
			if err := w.resource(it.GetNamespace()).Delete(ctx, it.GetName(), metav1.DeleteOptions{}); err != nil {
				return fmt.Errorf("delete %s %s/%s: %w", gvr.Resource, it.GetNamespace(), it.GetName(), err)
			}
		}
	}
	return nil
}
