package chain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// receivers records what Alertmanager delivers to each receiver, by the
// webhook path it posts to.
type receivers struct {
	mu  sync.Mutex
	got map[string][]string // receiver → alertname/namespace, firing
}

func (r *receivers) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	var msg struct {
		Alerts []delivered `json:"alerts"`
	}
	if err := json.NewDecoder(io.LimitReader(req.Body, 1<<20)).Decode(&msg); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range msg.Alerts {
		if a.Status != "firing" {
			continue
		}
		k := a.Labels["alertname"] + "/" + a.Labels["namespace"]
		name := strings.TrimPrefix(req.URL.Path, "/")
		if !slices.Contains(r.got[name], k) {
			r.got[name] = append(r.got[name], k)
		}
	}
}

func (r *receivers) of(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.got[name])
	slices.Sort(out)
	return out
}

// exampleAlertmanagerConfig is deploy/alertmanager/alertmanager.yml as a
// user would adapt it: the receivers' URLs pointed at addr, and every
// wait shortened to a second so the test sees the notifications.
func exampleAlertmanagerConfig(t *testing.T, addr string) string {
	t.Helper()
	b, err := os.ReadFile("../../deploy/alertmanager/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`http://alert-receiver\.example/`).ReplaceAllString(string(b), "http://"+addr+"/")
	s = regexp.MustCompile(`(group_wait|group_interval|repeat_interval): \w+`).ReplaceAllString(s, "$1: 1s")
	if !strings.Contains(s, addr) {
		t.Fatal("the example names no receiver URL to replace")
	}
	return s
}

// postAlerts sends alerts to Alertmanager as Prometheus does.
func postAlerts(t *testing.T, am string, alerts ...map[string]string) {
	t.Helper()
	var body []map[string]any
	for _, labels := range alerts {
		body = append(body, map[string]any{"labels": labels, "startsAt": time.Now().Add(-time.Minute).Format(time.RFC3339),
			"endsAt": time.Now().Add(time.Hour).Format(time.RFC3339)})
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post(am+"/api/v2/alerts", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s", resp.Status)
	}
}

// The shipped Alertmanager example, in Debian's Alertmanager: each team
// gets its own namespaces' alerts and nothing of the others', debt and
// incidents alike; cluster-wide alerts and namespaces without an owner go
// to the platform team; while central is down, debt is held back and
// incidents are not.
func TestExampleAlertmanagerRoutesByOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Alertmanager")
	}
	recv := &receivers{got: map[string][]string{}}
	recvAddr := serveHTTP(t, recv)
	am := testenv.StartAlertmanager(t, exampleAlertmanagerConfig(t, recvAddr))

	alert := func(name, class, namespace, owner string) map[string]string {
		m := map[string]string{"alertname": name, "class": class, "cluster": "test", "severity": "warning"}
		if namespace != "" {
			m["namespace"] = namespace
		}
		if owner != "" {
			m["owner"] = owner
		}
		return m
	}
	postAlerts(t, am.URL,
		alert("KubeReliabilityWorkloadWithoutPDB", "debt", "shop", "storefront"),
		alert("KubeReliabilityQuotaAlmostFull", "incident", "shop", "storefront"),
		alert("KubeReliabilitySingleReplica", "debt", "payments", "payments"),
		alert("KubeReliabilityNamespaceWithoutQuota", "debt", "legacy", ""),
		alert("KubeReliabilityEtcdMemberDown", "incident", "", ""),
	)
	want := map[string][]string{
		"storefront": {"KubeReliabilityQuotaAlmostFull/shop", "KubeReliabilityWorkloadWithoutPDB/shop"},
		"payments":   {"KubeReliabilitySingleReplica/payments"},
		"platform":   {"KubeReliabilityEtcdMemberDown/", "KubeReliabilityNamespaceWithoutQuota/legacy"},
	}
	check := func(want map[string][]string) error {
		for name, w := range want {
			if got := recv.of(name); !slices.Equal(got, w) {
				return fmt.Errorf("receiver %s got %v, want %v", name, got, w)
			}
		}
		return nil
	}
	testenv.Eventually(t, 30*time.Second, func() error { return check(want) })

	// Central down: new debt is held back, a new incident is not.
	postAlerts(t, am.URL, map[string]string{"alertname": "KubeReliabilityExporterDown", "class": "incident", "cluster": "test",
		"job": "kube-reliability/kube-reliability-exporter", "instance": "10.0.0.1:9759", "severity": "warning"})
	testenv.Eventually(t, 30*time.Second, func() error {
		if !slices.Contains(recv.of("platform"), "KubeReliabilityExporterDown/") {
			return fmt.Errorf("platform got %v, not yet the exporter down", recv.of("platform"))
		}
		return nil
	})
	postAlerts(t, am.URL,
		alert("KubeReliabilityContainersWithoutRequests", "debt", "payments", "payments"),
		alert("KubeReliabilityCertificateExpiringSoon", "incident", "payments", "payments"))
	testenv.Eventually(t, 30*time.Second, func() error {
		if !slices.Contains(recv.of("payments"), "KubeReliabilityCertificateExpiringSoon/payments") {
			return fmt.Errorf("payments got %v, not yet the certificate", recv.of("payments"))
		}
		return nil
	})
	// Past several group intervals: the inhibited debt never arrives.
	time.Sleep(3 * time.Second)
	if got := recv.of("payments"); slices.Contains(got, "KubeReliabilityContainersWithoutRequests/payments") {
		t.Errorf("debt delivered while central was down: %v", got)
	}
	if t.Failed() {
		t.Logf("alertmanager:\n%s", am.Log())
	}
}
