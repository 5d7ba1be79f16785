package collector_test

import (
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// One resource the exporter may not list (the shipped role without its
// PodDisruptionBudget rule) holds back only the analysis that reads it:
// the caches of everything else sync, /readyz turns ready, placement and
// resources are exported, and the disruption collector alone reports
// success 0, with the resource shown unsynced and its errors counted.
func TestForbiddenResourceHoldsBackOnlyItsAnalyses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	bindEditedRole(t, env, "../deploy/kustomize/base/clusterrole.yaml", func(r *rbacv1.ClusterRole) {
		r.Rules = slices.DeleteFunc(r.Rules, func(rule rbacv1.PolicyRule) bool {
			return slices.Contains(rule.Resources, "poddisruptionbudgets")
		})
	})
	// As central wires it: failed requests are counted on the transport.
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	activity := apitransport.NewActivity(logger)
	rc := env.ServiceAccountConfig("kube-reliability", "exporter")
	rc.Wrap(activity.WrapTransport)
	client := kubernetes.NewForConfigOrDie(rc)
	env.CreateNode(testenv.NodeSpec{Name: "node-1", Zone: "zone-a"})
	d := env.CreateDeployment("shop", "web", 2, nil)
	rs := env.CreateReplicaSet("shop", "web-1", 2, d, nil)
	env.PodsOn("shop", "web", "ReplicaSet", &rs.ObjectMeta, rs.Spec.Template.Labels, "node-1", "node-1")

	// Fails unless the core caches sync with one optional resource forbidden.
	inf := liveInformers(t, client, logger)
	watches := &kube.Watches{Activity: activity}
	watches.Add(inf)
	reg := registry(t, collector.Deps{Logger: logger, Cluster: inf, Status: watches}, "exporter", "placement", "disruption", "resources")
	testenv.Eventually(t, 20*time.Second, expectation(t, reg, map[string]float64{
		w("single_node", "Deployment", "web"):                                       1,
		w("node_max_ready_replicas", "Deployment", "web"):                           2,
		`kube_reliability_scrape_collector_success{collector="placement"}`:          1,
		`kube_reliability_scrape_collector_success{collector="resources"}`:          1,
		`kube_reliability_scrape_collector_success{collector="disruption"}`:         0,
		`kube_reliability_informer_synced{resource="poddisruptionbudgets"}`:         0,
		`kube_reliability_informer_synced{resource="pods"}`:                         1,
		w("pdb_covered", "Deployment", "web"):                                       -1,
		`kube_reliability_source_errors_total{resource="pods",source="kubernetes"}`: 0,
	}))
	if got := samples(t, reg)[`kube_reliability_source_errors_total{resource="poddisruptionbudgets",source="kubernetes"}`]; got < 1 {
		t.Errorf("forbidden list errors counted %v, want at least 1", got)
	}
}
