package certs

import (
	"cmp"
	"slices"
	"time"
)

// HostVerdict is what the probes of one object's TLS host say, over all
// the addresses it is served at.
type HostVerdict struct {
	ObjectHost
	// Reason is why a handshake failed at some address (the first by
	// name when several did); "" when none failed.
	Reason string
	// OK counts the addresses whose handshake succeeded; what follows
	// is known only when OK > 0.
	OK int
	// LeafNotAfter and ChainNotAfter are the soonest over the addresses,
	// in whole seconds.
	LeafNotAfter, ChainNotAfter int64
	// CoversHost and Verified hold at every address; SelfSigned and
	// ControllerDefault at some address.
	CoversHost, Verified, SelfSigned, ControllerDefault bool
}

// Assess judges each host of the endpoints discovery lists now from the
// probes' results, sorted by kind, namespace, name and host. A host not
// probed yet is left out: unknown, not fine. A probe of a host discovery
// no longer lists is not reported.
func Assess(endpoints []Endpoint, results map[Endpoint]Probed) []HostVerdict {
	hosts := map[ObjectHost]*HostVerdict{}
	for _, ep := range endpoints {
		p, probed := results[ep]
		if !probed {
			continue
		}
		k := ObjectHost{Kind: ep.Kind, Namespace: ep.Namespace, Name: ep.Name, Host: ep.Host}
		v := hosts[k]
		if v == nil {
			v = &HostVerdict{ObjectHost: k, CoversHost: true, Verified: true}
			hosts[k] = v
		}
		if p.Reason != "" {
			if v.Reason == "" || p.Reason < v.Reason {
				v.Reason = p.Reason
			}
			continue
		}
		leaf, chain := p.LeafNotAfter.Unix(), p.EarliestNotAfter.Unix()
		if v.OK == 0 || leaf < v.LeafNotAfter {
			v.LeafNotAfter = leaf
		}
		if v.OK == 0 || chain < v.ChainNotAfter {
			v.ChainNotAfter = chain
		}
		v.OK++
		v.CoversHost = v.CoversHost && p.CoversHost
		v.Verified = v.Verified && p.Verified
		v.SelfSigned = v.SelfSigned || p.SelfSigned
		v.ControllerDefault = v.ControllerDefault || p.ControllerDefault
	}
	out := make([]HostVerdict, 0, len(hosts))
	for _, v := range hosts {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(x, y HostVerdict) int {
		return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(x.Name, y.Name), cmp.Compare(x.Host, y.Host))
	})
	return out
}

// StaleAfterRenewal reports whether the host serves a certificate that
// expires before the one issued into its Secret: renewed, not reloaded.
func (v HostVerdict) StaleAfterRenewal(issued time.Time) bool {
	return v.LeafNotAfter < issued.Unix()
}
