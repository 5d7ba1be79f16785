package certs

import (
	"reflect"
	"testing"
	"time"
)

// A host served at several addresses: the soonest expiry over them, names
// covered and verified only if at every one, self-signed or a default if
// at any; a failed address gives the reason without hiding the others'
// certificate; a host not probed yet is left out.
func TestAssess(t *testing.T) {
	at := func(addr string) Endpoint {
		return Endpoint{Kind: "Ingress", Namespace: "shop", Name: "web", Host: "shop.example", Address: addr}
	}
	t0 := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := func(days int, covers, verified bool) Probed {
		return Probed{Handshake: Handshake{LeafNotAfter: t0.AddDate(0, 0, days), EarliestNotAfter: t0.AddDate(0, 0, days-1),
			CoversHost: covers, Verified: verified}}
	}
	other := Endpoint{Kind: "Ingress", Namespace: "shop", Name: "api", Host: "api.example", Address: "127.0.0.1:443"}
	endpoints := []Endpoint{at("127.0.0.1:443"), at("127.0.0.2:443"), at("127.0.0.3:443"), other}
	results := map[Endpoint]Probed{
		at("127.0.0.1:443"): ok(30, true, true),
		at("127.0.0.2:443"): ok(10, true, false),
		at("127.0.0.3:443"): {Handshake: Handshake{Reason: "timeout"}},
	}
	want := []HostVerdict{{ObjectHost: ObjectHost{"Ingress", "shop", "web", "shop.example"}, Reason: "timeout", OK: 2,
		LeafNotAfter: t0.AddDate(0, 0, 10).Unix(), ChainNotAfter: t0.AddDate(0, 0, 9).Unix(), CoversHost: true, Verified: false}}
	if got := Assess(endpoints, results); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if !want[0].StaleAfterRenewal(t0.AddDate(0, 0, 60)) || want[0].StaleAfterRenewal(t0.AddDate(0, 0, 10)) {
		t.Error("stale after renewal: served before issued, and only then")
	}
}
