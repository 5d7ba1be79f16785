// Package controllerversions knows the ingress and gateway controllers
// (ingress-nginx, F5 NGINX Ingress Controller, NGINX Gateway Fabric,
// Traefik, Envoy Gateway, HAProxy Ingress) by their images and judges
// the version an image's tag names against known-issues.yaml: releases
// below a CVE-fixed floor, past end of life, or of a retired project.
//
// It never reads a cluster: callers hand it image references.
package controllerversions
