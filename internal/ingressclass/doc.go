// Package ingressclass maps IngressClasses to the controllers that serve
// them and counts the Ingresses each serves, so that Ingresses still
// served by a retired controller (ingress-nginx, retired in March 2026)
// and Ingresses no controller claims are visible.
//
// An Ingress's class is spec.ingressClassName, else the deprecated
// kubernetes.io/ingress.class annotation (still widely used), else the
// IngressClass annotated ingressclass.kubernetes.io/is-default-class=true;
// with none of these it has no class and, unless a controller watches
// class-less Ingresses, nobody serves it.
//
// Analysis: it never imports client-go, the network, a source or a collector.
package ingressclass
