package controllerversions

import (
	"strings"
	"testing"
)

func TestShippedTableEveryRowSourced(t *testing.T) {
	t.Parallel()
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range tab.Controllers {
		names[c.Name] = true
		for _, is := range c.Issues {
			if !strings.HasPrefix(is.Source, "https://") {
				t.Errorf("%s %s: source %q", c.Name, is.ID, is.Source)
			}
		}
	}
	for _, want := range []string{"ingress-nginx", "nginx-ingress", "nginx-gateway-fabric", "traefik", "envoy-gateway", "haproxy-ingress"} {
		if !names[want] {
			t.Errorf("no row set for %s", want)
		}
	}
}

func TestIdentifyAndJudge(t *testing.T) {
	t.Parallel()
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ image, controller, version, unknown, issues string }{
		{"registry.k8s.io/ingress-nginx/controller:v1.11.4@sha256:abc", "ingress-nginx", "v1.11.4", "", "retired CVE-2026-3288 CVE-2026-24512 CVE-2025-1974"},
		{"mirror.example.test:5000/ingress-nginx/controller:v1.15.1", "ingress-nginx", "v1.15.1", "", "retired"},
		{"ingress-nginx/controller:v1.14.3", "ingress-nginx", "v1.14.3", "", "retired CVE-2026-3288"},
		{"registry.k8s.io/ingress-nginx/controller@sha256:abc", "ingress-nginx", "", "no tag", ""},
		{"docker.io/library/traefik:v3.7.10", "traefik", "v3.7.10", "", "CVE-2026-85597-tls-option-conflict"},
		{"traefik:latest", "traefik", "latest", "not a major.minor.patch", ""},
		{"traefik:3.6", "traefik", "3.6", "not a major.minor.patch", ""},
		{"docker.io/envoyproxy/gateway:v1.9.1", "envoy-gateway", "v1.9.1", "", ""},
		{"envoyproxy/gateway:v1.6.3", "envoy-gateway", "v1.6.3", "", "end-of-life"},
		{"nginx/nginx-ingress:5.4.3-ubi", "nginx-ingress", "5.4.3-ubi", "", "CVE-2026-42533-bundled-nginx"},
		{"ghcr.io/nginx/nginx-gateway-fabric:2.6.7", "nginx-gateway-fabric", "2.6.7", "", ""},
		{"quay.io/jcmoraisjr/haproxy-ingress:v0.14.1", "haproxy-ingress", "v0.14.1", "", "CVE-2023-25725-request-smuggling"},
	} {
		im, err := tab.Identify(tt.image)
		if err != nil {
			t.Errorf("%s: %v", tt.image, err)
			continue
		}
		if im.Controller != tt.controller || im.Version != tt.version || !strings.Contains(im.Unknown, tt.unknown) || (tt.unknown == "") != (im.Unknown == "") {
			t.Errorf("%s: got %+v", tt.image, im)
			continue
		}
		var ids []string
		if im.Unknown == "" {
			for _, is := range tab.Issues(im.Controller, im.Parsed) {
				ids = append(ids, is.ID)
			}
		}
		if got := strings.Join(ids, " "); got != tt.issues {
			t.Errorf("%s: issues %q, want %q", tt.image, got, tt.issues)
		}
	}
	for _, other := range []string{"nginx:1.27", "registry.k8s.io/kube-proxy:v1.37.2", "example.test/shop/api:v1.2.3", "my-traefik-fork:v1.0.0"} {
		if im, err := tab.Identify(other); err == nil {
			t.Errorf("%s identified as %+v", other, im)
		}
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"nginx":                 "nginx ",
		"library/nginx:1.27":    "nginx 1.27",
		"localhost:5000/x/y:v1": "x/y v1",
		"registry.k8s.io/ingress-nginx/controller@sha256:00": "ingress-nginx/controller ",
		"host:443/a:b@sha256:00":                             "a b",
	} {
		p, tag := Split(in)
		if p+" "+tag != want {
			t.Errorf("Split(%q) = %q %q, want %q", in, p, tag, want)
		}
	}
}

// FuzzIdentify: any image reference (pod specs are anyone's input) is
// identified or not without a crash, and a judged version parses.
func FuzzIdentify(f *testing.F) {
	tab, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"registry.k8s.io/ingress-nginx/controller:v1.11.4@sha256:abc", "traefik:latest", "localhost:5000/envoyproxy/gateway:v1.9.1", "@:/", "a/b/c:d:e@f@g", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, image string) {
		im, err := tab.Identify(image)
		if err != nil {
			return
		}
		if im.Controller == "" {
			t.Errorf("%q identified with no controller", image)
		}
		if im.Unknown == "" {
			_ = tab.Issues(im.Controller, im.Parsed)
		}
	})
}
