//go:build !agentonly

package collector

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"slices"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/gateway"
	"github.com/kube-reliability/kube-reliability-exporter/internal/tlsprobe"
)

// CertSource hands out the TLS probes of the endpoints the objects name.
type CertSource interface {
	Results() map[certs.Endpoint]certs.Probed
	Failures() map[string]uint64
	// Version changes whenever Results does.
	Version() uint64
	// Rounds counts the completed rounds of probes.
	Rounds() uint64
	// Discovered is what the last round set out to probe (the control
	// plane's endpoints come from there: resolving them takes API calls).
	Discovered() certs.Discovery
}

// CertManagerSource hands out what cert-manager issued:
// certs.ErrNoCertManager while its CRD is absent.
type CertManagerSource interface {
	Certificates() ([]certs.Issued, error)
	// Version changes whenever a Certificate does.
	Version() uint64
}

var (
	certLabels = []string{"kind", "namespace", "name", "host"}
	certBound  = "one series per TLS host of each object (an Ingress's hosts, a Gateway's HTTPS and TLS listeners, a webhook configuration's or an APIService's Service, the API server), whatever its number of addresses"
	certReads  = []string{"ingresses", "services", "validatingwebhookconfigurations", "mutatingwebhookconfigurations"}
)

var certificatesSpec = Spec{
	Name: "certificates", Modes: Central | Demo, DefaultEnabled: true, Reads: certReads, Uses: []Source{TLSEndpoints, GatewayAPI, APIServices, CertManager},
	Metrics: []MetricSpec{
		{Name: "kube_reliability_certificate_expiry_timestamp_seconds", Type: Gauge, Stability: Experimental,
			Help: "Not-after of the certificate the endpoint serves for the host (a TLS handshake with SNI, at the addresses in the Ingress's or Gateway's status, at a webhook's URL, at the ready EndpointSlice addresses of a webhook's, an APIService's or the API server's Service — never a ClusterIP; the soonest over its addresses). Seconds left: this minus time(). Absent while no handshake succeeded.", Labels: certLabels, Bound: certBound},
		{Name: "kube_reliability_certificate_chain_expiry_timestamp_seconds", Type: Gauge, Stability: Experimental,
			Help: "Soonest not-after of any certificate the endpoint presents (leaf and intermediates): an intermediate that lapses first breaks the chain as surely.", Labels: certLabels, Bound: certBound},
		{Name: "kube_reliability_certificate_covers_host", Type: Gauge, Stability: Experimental,
			Help: "1 if the served certificate's names cover the host at every address, else 0 (browsers and clients refuse it).", Labels: certLabels, Bound: certBound},
		{Name: "kube_reliability_certificate_verified", Type: Gauge, Stability: Experimental,
			Help: "1 if the served chain verifies for the host at every address, else 0: against the object's caBundle for webhooks and APIServices (a 0 is a certificate its clients refuse: renewed without the bundle updated), the cluster CA for the API server, the configured CA bundle (default: the system's roots) for Ingresses and Gateways (reported, not required: private CAs verify only with their bundle).", Labels: certLabels, Bound: certBound},
		{Name: "kube_reliability_certificate_self_signed", Type: Gauge, Stability: Experimental,
			Help: "1 if the served certificate signed itself, at any address, else 0.", Labels: certLabels, Bound: certBound},
		{Name: "kube_reliability_certificate_controller_default", Type: Gauge, Stability: Experimental,
			Help: "1 if an ingress controller's built-in default certificate is served for the host (ingress-nginx's fake certificate, Traefik's default): its Secret is missing or invalid.", Labels: certLabels, Bound: certBound},
		{Name: "kube_reliability_certificate_issued_expiry_timestamp_seconds", Type: Gauge, Stability: Experimental,
			Help: "Not-after of the certificate cert-manager last issued into the Secret the Ingress TLS entry or Gateway listener names (the status of the Certificate whose secretName it is; the Secret is never read). Absent without cert-manager, without such a Certificate, before its first issuance, or while no handshake succeeded.", Labels: certLabels, Bound: certBound},
		{Name: "kube_reliability_certificate_stale_after_renewal", Type: Gauge, Stability: Experimental,
			Help: "1 if some address serves a certificate that expires before the one cert-manager issued into the host's Secret: renewed, but the server has not loaded it (it will expire all the same). 0 if every address serves the issued one or a later one. Absent where issued_expiry_timestamp_seconds is.", Labels: certLabels, Bound: certBound},
		{Name: "kube_reliability_certmanager_certificate_ready", Type: Gauge, Stability: Experimental,
			Help: "cert-manager Certificate's Ready condition: 1 True, 0 False (issuance failing: the log gives its reason); absent while Unknown or unset, or without cert-manager.", Labels: []string{"namespace", "certificate"}, Bound: "one series per cert-manager Certificate"},
		{Name: "kube_reliability_certificate_probe_error", Type: Gauge, Stability: Experimental,
			Help: "1 while the last handshake with the host failed at some address, by reason: timeout, refused, reset, not_tls, chain_too_large, unreachable, handshake, no_certificate.", Labels: append(append([]string{}, certLabels...), "reason"), Bound: "one series per failing host"},
		{Name: "kube_reliability_certificate_probe_failures_total", Type: Counter, Stability: Experimental,
			Help: "Failed TLS handshakes since start, by reason.", Labels: []string{"reason"}, Bound: "8 series"},
		{Name: "kube_reliability_certificate_hosts_not_probed", Type: Gauge, Stability: Experimental,
			Help: "TLS hosts the objects name that are not probed, by reason: no_address (the status lists none yet), dns_address (a load balancer known only by DNS name: not resolved), wildcard (no host to send as SNI), no_hosts (a TLS entry without hosts), no_endpoints (a webhook's, APIService's or the API server's Service is missing or has no ready endpoint), resolve_error (its EndpointSlices could not be listed).", Labels: []string{"reason"}, Bound: "6 series"},
	},
	New: func(d Deps) (Collector, error) {
		if d.Certs == nil {
			return &certificatesCollector{}, nil
		}
		return &certificatesCollector{src: d.Certs, gateways: d.Gateway, certManager: d.CertManager, logger: d.Logger,
			discovery: newAnalysis(d, d.Cluster, discoverIngressCerts, certReads...)}, nil
	},
}

// ingressCerts is what the snapshot says of Ingress TLS: the hosts to
// probe and the Secret each is served from.
type ingressCerts struct {
	certs.Discovery
	secrets map[certs.ObjectHost]certs.SecretRef
}

// TLSListeners are the Gateways' HTTPS and TLS listeners: none where the
// Gateway API is not watched (gw nil) or not synced.
func TLSListeners(gw GatewaySource) []gateway.TLSListener {
	if gw == nil {
		return nil
	}
	o, err := gw.Objects()
	if err != nil {
		return nil
	}
	return o.TLSListeners
}

func discoverIngressCerts(s *cluster.Snapshot) ingressCerts {
	return ingressCerts{certs.Discover(s), certs.Secrets(s, nil)}
}

type certificatesCollector struct {
	src         CertSource
	gateways    GatewaySource     // nil, or where the Gateway API is absent: Ingresses only
	certManager CertManagerSource // nil: issued vs served is not compared
	logger      *slog.Logger
	discovery   *analysis[ingressCerts]
	notReady    map[[2]string]string // Certificates not Ready, and the reason last logged
}

// Version changes with the probes, the objects and cert-manager's
// Certificates.
func (c *certificatesCollector) Version() uint64 {
	if c.src == nil {
		return 0
	}
	v := c.src.Version()<<20 ^ c.discovery.version()
	if c.certManager != nil {
		v ^= c.certManager.Version() << 40
	}
	return v
}

func (c *certificatesCollector) Update(_ context.Context, e *Emitter) error {
	if c.src == nil {
		return cluster.ErrNoData
	}
	ic, err := c.discovery.get()
	if err != nil {
		return err
	}
	// The objects as of this scrape, the control plane as of the last
	// round of probes.
	listeners := TLSListeners(c.gateways)
	d := certs.Compose(ic.Discovery, listeners, c.src.Discovered())
	issued := c.issued(e)
	skipped := map[string]int{}
	for _, s := range d.Skipped {
		skipped[s.Reason]++
	}
	for _, r := range []string{certs.SkippedNoAddress, certs.SkippedDNSAddress, certs.SkippedWildcard, certs.SkippedNoHosts, certs.SkippedNoEndpoints, certs.SkippedResolveError} {
		e.Gauge("kube_reliability_certificate_hosts_not_probed", float64(skipped[r]), r)
	}
	failures := c.src.Failures()
	for _, r := range tlsprobe.Reasons {
		e.Counter("kube_reliability_certificate_probe_failures_total", float64(failures[r]), r)
	}
	verdicts := certs.Assess(d.Endpoints, c.src.Results())
	var secrets map[certs.ObjectHost]certs.SecretRef
	if issued != nil {
		secrets = ic.secrets
		if len(listeners) > 0 {
			secrets = maps.Clone(secrets)
			maps.Copy(secrets, certs.Secrets(&cluster.Snapshot{}, listeners))
		}
	}
	for _, v := range verdicts {
		k := v.ObjectHost
		l := []string{k.Kind, k.Namespace, k.Name, k.Host}
		if v.Reason != "" {
			e.Gauge("kube_reliability_certificate_probe_error", 1, k.Kind, k.Namespace, k.Name, k.Host, v.Reason)
		}
		if v.OK == 0 {
			continue // no handshake succeeded: nothing known of the certificate
		}
		e.Gauge("kube_reliability_certificate_expiry_timestamp_seconds", float64(v.LeafNotAfter), l...)
		e.Gauge("kube_reliability_certificate_chain_expiry_timestamp_seconds", float64(v.ChainNotAfter), l...)
		e.Bool("kube_reliability_certificate_covers_host", v.CoversHost, l...)
		e.Bool("kube_reliability_certificate_verified", v.Verified, l...)
		e.Bool("kube_reliability_certificate_self_signed", v.SelfSigned, l...)
		e.Bool("kube_reliability_certificate_controller_default", v.ControllerDefault, l...)
		if is, ok := issued[secrets[k]]; ok && !is.NotAfter.IsZero() && secrets[k] != (certs.SecretRef{}) {
			e.Gauge("kube_reliability_certificate_issued_expiry_timestamp_seconds", float64(is.NotAfter.Unix()), l...)
			e.Bool("kube_reliability_certificate_stale_after_renewal", v.StaleAfterRenewal(is.NotAfter), l...)
		}
	}
	return nil
}

// issued exports cert-manager's Certificates' readiness and indexes them
// by Secret; nil without cert-manager (or before its cache synced).
func (c *certificatesCollector) issued(e *Emitter) map[certs.SecretRef]certs.Issued {
	if c.certManager == nil {
		return nil
	}
	list, err := c.certManager.Certificates()
	if err != nil {
		return nil // absent or not synced: nothing known, nothing exported
	}
	slices.SortFunc(list, func(a, b certs.Issued) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	notReady := map[[2]string]string{}
	for _, is := range list {
		if is.Ready == nil {
			continue
		}
		e.Bool("kube_reliability_certmanager_certificate_ready", *is.Ready, is.Namespace, is.Name)
		if !*is.Ready {
			k := [2]string{is.Namespace, is.Name}
			notReady[k] = is.Reason
			if prev, was := c.notReady[k]; !was || prev != is.Reason {
				c.logger.Warn("cert-manager Certificate not ready", "namespace", is.Namespace, "certificate", is.Name,
					"secret", is.Secret, "reason", is.Reason, "message", is.Message)
			}
		}
	}
	c.notReady = notReady
	return certs.BySecret(list)
}
