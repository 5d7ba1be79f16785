package certs

import (
	"reflect"
	"slices"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/gateway"
)

func ingress(name string, lb []networkingv1.IngressLoadBalancerIngress, tls ...networkingv1.IngressTLS) *networkingv1.Ingress {
	return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
		Spec:   networkingv1.IngressSpec{TLS: tls},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: lb}}}
}

// Every TLS host at every IP of the Ingress's status; hosts that cannot
// be probed are listed with why, never dropped.
func TestDiscover(t *testing.T) {
	t.Parallel()
	ips := []networkingv1.IngressLoadBalancerIngress{{IP: "127.0.0.10"}, {IP: "127.0.0.11"}}
	s := &cluster.Snapshot{Ingresses: []*networkingv1.Ingress{
		ingress("web", ips, networkingv1.IngressTLS{Hosts: []string{"shop.example", "*.shop.example"}, SecretName: "web-tls"},
			networkingv1.IngressTLS{SecretName: "default"}),
		ingress("pending", nil, networkingv1.IngressTLS{Hosts: []string{"new.example"}}),
		ingress("aws", []networkingv1.IngressLoadBalancerIngress{{Hostname: "lb-1.elb.example"}}, networkingv1.IngressTLS{Hosts: []string{"api.example"}}),
		ingress("plain", ips), // no TLS
	}}
	d := Discover(s)
	want := Discovery{
		Endpoints: []Endpoint{
			{KindIngress, "shop", "web", "shop.example", "127.0.0.10:443", ""},
			{KindIngress, "shop", "web", "shop.example", "127.0.0.11:443", ""},
		},
		Skipped: []Skipped{
			{KindIngress, "shop", "aws", "api.example", SkippedDNSAddress},
			{KindIngress, "shop", "pending", "new.example", SkippedNoAddress},
			{KindIngress, "shop", "web", "", SkippedNoHosts},
			{KindIngress, "shop", "web", "*.shop.example", SkippedWildcard},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got\n%+v\nwant\n%+v", d, want)
	}
}

// Gateway listeners: the hostname at each IP of the Gateway's status, on
// the listener's port; a listener without hostname, a wildcard, a Gateway
// known only by DNS name or without address are skipped with why.
func TestGateways(t *testing.T) {
	t.Parallel()
	d := Gateways([]gateway.TLSListener{
		{Namespace: "edge", Gateway: "public", Listener: "https", Hostname: "shop.example", Port: 8443, Addresses: []string{"127.0.0.20", "not-an-ip"}},
		{Namespace: "edge", Gateway: "public", Listener: "any", Port: 443, Addresses: []string{"127.0.0.20"}},
		{Namespace: "edge", Gateway: "public", Listener: "wild", Hostname: "*.shop.example", Port: 443, Addresses: []string{"127.0.0.20"}},
		{Namespace: "edge", Gateway: "cloud", Listener: "https", Hostname: "api.example", Port: 443, HostnameAddresses: []string{"lb.example"}},
		{Namespace: "edge", Gateway: "new", Listener: "https", Hostname: "new.example", Port: 443},
	})
	want := Discovery{
		Endpoints: []Endpoint{{KindGateway, "edge", "public", "shop.example", "127.0.0.20:8443", ""}},
		Skipped: []Skipped{
			{KindGateway, "edge", "cloud", "api.example", SkippedDNSAddress},
			{KindGateway, "edge", "new", "new.example", SkippedNoAddress},
			{KindGateway, "edge", "public", "", SkippedNoHosts},
			{KindGateway, "edge", "public", "*.shop.example", SkippedWildcard},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got\n%+v\nwant\n%+v", d, want)
	}
}

// Which Secret each host is served from: an Ingress's TLS entries (the
// first naming a host wins, as controllers do), a Gateway listener's
// first certificate reference; BySecret keeps the later issuance of two
// Certificates writing one Secret.
func TestSecrets(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{Ingresses: []*networkingv1.Ingress{
		ingress("web", nil, networkingv1.IngressTLS{Hosts: []string{"a.example", "b.example"}, SecretName: "web-tls"},
			networkingv1.IngressTLS{Hosts: []string{"b.example"}, SecretName: "other-tls"},
			networkingv1.IngressTLS{Hosts: []string{"c.example"}}),
	}}
	got := Secrets(s, []gateway.TLSListener{
		{Namespace: "edge", Gateway: "public", Hostname: "a.example", Secret: "certs/a-tls"},
		{Namespace: "edge", Gateway: "public", Hostname: "", Secret: "certs/any-tls"},
		{Namespace: "edge", Gateway: "public", Hostname: "d.example"},
	})
	want := map[ObjectHost]SecretRef{
		{KindIngress, "shop", "web", "a.example"}:    {"shop", "web-tls"},
		{KindIngress, "shop", "web", "b.example"}:    {"shop", "web-tls"},
		{KindGateway, "edge", "public", "a.example"}: {"certs", "a-tls"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	early, late := time.Now(), time.Now().Add(time.Hour)
	by := BySecret([]Issued{{Namespace: "shop", Name: "x", Secret: "web-tls", NotAfter: late}, {Namespace: "shop", Name: "y", Secret: "web-tls", NotAfter: early}})
	if len(by) != 1 || by[SecretRef{"shop", "web-tls"}].Name != "x" {
		t.Errorf("BySecret: %+v", by)
	}
}

// Compose takes the Ingress hosts and Gateway listeners as given and, of
// the control plane's discovery (the prober's last round, say), only the
// control plane's kinds: a stale Ingress endpoint from that round is not
// probed twice nor kept after its Ingress changed.
func TestCompose(t *testing.T) {
	ing := Discover(&cluster.Snapshot{Ingresses: []*networkingv1.Ingress{ingress("web",
		[]networkingv1.IngressLoadBalancerIngress{{IP: "127.0.0.3"}}, networkingv1.IngressTLS{Hosts: []string{"shop.example"}})}})
	listeners := []gateway.TLSListener{{Namespace: "edge", Gateway: "gw", Listener: "https", Hostname: "gw.example", Port: 443, Addresses: []string{"127.0.0.4"}}}
	stale := Endpoint{Kind: KindIngress, Namespace: "shop", Name: "web", Host: "old.example", Address: "127.0.0.9:443"}
	hook := Endpoint{Kind: KindValidating, Name: "policy", Host: "webhook.policy.svc", Address: "127.0.0.5:443"}
	got := Compose(ing, listeners, Discovery{Endpoints: []Endpoint{stale, hook}})
	var hosts []string
	for _, e := range got.Endpoints {
		hosts = append(hosts, e.Kind+"/"+e.Host+"@"+e.Address)
	}
	want := []string{"Gateway/gw.example@127.0.0.4:443", "Ingress/shop.example@127.0.0.3:443", "ValidatingWebhookConfiguration/webhook.policy.svc@127.0.0.5:443"}
	if !slices.Equal(hosts, want) {
		t.Errorf("Compose: got %v, want %v", hosts, want)
	}
}
