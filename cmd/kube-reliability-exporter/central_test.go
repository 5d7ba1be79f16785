package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// A disabled collector starts no informer, poller or fetcher, and so
// needs no RBAC rule: central with the ingress collector alone runs as an
// account that may read IngressClasses and Ingresses and nothing else,
// turns ready, watches those two, and sees no list or watch error and no
// warning (a forbidden Helm, pod or Gateway list would be both).
func TestCentralWatchesOnlyWhatEnabledCollectorsRead(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	ctx := context.Background()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "ingress-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingressclasses", "ingresses"},
			Verbs: []string{"get", "list", "watch"}}},
	}
	if _, err := env.Client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ingress-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "ingress-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "kube-reliability", Name: "exporter"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defaults, err := collector.Select(collector.Central, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var disabled []string
	for _, s := range defaults {
		if s.Name != "exporter" && s.Name != "ingress" {
			disabled = append(disabled, s.Name)
		}
	}
	t.Setenv("RELIABILITY_LISTEN_ADDRESS", "127.0.0.1:0")
	t.Setenv("RELIABILITY_KUBECONFIG", env.ServiceAccountKubeconfig("kube-reliability", "exporter"))
	t.Setenv("RELIABILITY_COLLECTORS_DISABLED", strings.Join(disabled, ","))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	started := time.Now()
	addr, stop, out := startMode(t, "central")
	base := "http://" + addr

	var body string
	testenv.Eventually(t, 30*time.Second, func() error {
		if code, b := get(t, base+"/readyz"); code != 200 {
			return fmt.Errorf("/readyz = %d %s", code, b)
		}
		_, body = get(t, base+"/metrics")
		if !strings.Contains(body, `kube_reliability_scrape_collector_success{collector="ingress"} 1`) {
			return fmt.Errorf("ingress collector not successful yet")
		}
		// Central's GC target once synced is its own unless GOGC says.
		if want := fmt.Sprintf("\ngo_gc_gogc_percent %d\n", centralGCPercent); !strings.Contains(body, want) {
			return fmt.Errorf("central's GOGC is not %d once synced", centralGCPercent)
		}
		// Its memory limit follows the live heap, a few MB here: the floor.
		if want := "\ngo_gc_gomemlimit_bytes " + strconv.FormatFloat(liveLimitFloor, 'g', -1, 64) + "\n"; !strings.Contains(body, want) {
			return fmt.Errorf("central's memory limit is not the floor, %d, once synced", liveLimitFloor)
		}
		return nil
	})
	synced := regexp.MustCompile(`(?m)^kube_reliability_informer_synced\{resource="([^"]+)"\} (\S+)$`).FindAllStringSubmatch(body, -1)
	var resources []string
	for _, m := range synced {
		resources = append(resources, m[1]+"="+m[2])
	}
	slices.Sort(resources)
	if got, want := strings.Join(resources, " "), "ingressclasses=1 ingresses=1"; got != want {
		t.Errorf("watched resources %q, want %q", got, want)
	}
	errs := regexp.MustCompile(`(?m)^kube_reliability_source_errors_total\{[^}]*\} (\S+)$`).FindAllStringSubmatch(body, -1)
	if len(errs) != 2 {
		t.Errorf("source error series %d, want 2 (one per watched resource)", len(errs))
	}
	for _, m := range errs {
		if m[1] != "0" {
			t.Errorf("list or watch errors: %s", m[0])
		}
	}
	// Each watched collection's list succeeded once central started.
	lasts := regexp.MustCompile(`(?m)^kube_reliability_informer_last_success_timestamp_seconds\{resource="([^"]+)"\} (\S+)$`).FindAllStringSubmatch(body, -1)
	if len(lasts) != 2 {
		t.Errorf("last success series %d, want 2:\n%s", len(lasts), body)
	}
	for _, m := range lasts {
		v, err := strconv.ParseFloat(m[2], 64)
		if at := time.Unix(0, int64(v*1e9)); err != nil || at.Before(started.Add(-time.Second)) || at.After(time.Now()) {
			t.Errorf("%s last succeeded at %v, want between %v and now", m[1], at, started)
		}
	}
	if c := stop(); c != exitOK {
		t.Errorf("central exited %d:\n%s", c, out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("central warned with one collector and its rules only: %s", line)
		}
	}
}
